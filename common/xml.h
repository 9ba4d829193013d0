/*
 * xml.h: the one hardened libxml2 entry point for untrusted XML (manifests,
 * record metadata).
 *
 * A document with a DOCTYPE is refused outright, so no entity is ever
 * defined, expanded or fetched (XXE, billion laughs): the bytes "<!DOCTYPE"
 * are refused before libxml2 sees them, and a SAX internalSubset hook stops
 * the parser for a DOCTYPE the byte scan cannot see (UTF-16). Parsing uses
 * XML_PARSE_NONET, no XML_PARSE_NOENT, no XML_PARSE_DTDLOAD, and never
 * prints to stderr.
 */
#ifndef KHO_XML_H
#define KHO_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "common/err.h"

/*
 * kho_xml_read: parse xml into *out (freed by the caller with xmlFreeDoc).
 * what names the document in messages ("record.xml"). KHO_EFORMAT with
 * "WHAT: a DOCTYPE is not allowed" or "WHAT line N: not well-formed XML: ...",
 * KHO_ENOMEM, KHO_ETOOBIG beyond INT_MAX bytes.
 */
int kho_xml_read(xmlDocPtr *out, const void *xml, size_t len, const char *what, kho_err *err);

/* kho_xml_init: libxml2 initialised once, its context-less error messages
 * silenced in every thread. Called by kho_xml_read; call it before any other
 * use of libxml2 (the schema compilers). */
void kho_xml_init(void);

#endif
