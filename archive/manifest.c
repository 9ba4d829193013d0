/*
 * manifest.c: ASiCManifest writing and hardened parsing (see manifest.h).
 *
 * The written form is the one of ETSI EN 319 162-1 annex A (schema
 * ts_102918v010201.xsd) as shown in formats.md: prefixes asic and ds,
 * SigReference first, then one DataObjectReference per data object with
 * ds:DigestMethod and ds:DigestValue (SHA-256, xmlenc#sha256). The bytes are
 * deterministic: the same input always gives the same manifest.
 *
 * URI attributes are URI references (RFC 3986), so names are written
 * percent-encoded (every byte outside the unreserved set and "/"), as DSS
 * does, and the parser percent-decodes them: manifest_ref.uri is the entry
 * name as it appears in the ZIP.
 *
 * Parsing goes through common/xml.c (no network, no entity expansion, a
 * DOCTYPE refused outright: a manifest has no use for one, and this is what
 * makes XXE and "billion laughs" documents fail cleanly), with libxml2's
 * errors converted into kho_err with their line.
 */
#include "archive/manifest.h"
#include "common/xml.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/util.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define SHA256_URI "http://www.w3.org/2001/04/xmlenc#sha256"
#define SIG_MIME "application/pkcs7-signature"
#define TST_MIME "application/vnd.etsi.timestamp-token"
/* Cap on one URI or MimeType attribute, in bytes. */
#define MANIFEST_MAX_ATTR 4096

/* ---- digest URIs ------------------------------------------------------- */

/*
 * RFC 6931 (Additional XML Security URIs) and xmlenc/xmldsig core:
 *   xmldsig#sha1            http://www.w3.org/2000/09/xmldsig#sha1
 *   xmldsig-more#sha224     RFC 6931 2.1.2
 *   xmlenc#sha256           XML Encryption 1.0, 5.7.2
 *   xmldsig-more#sha384     RFC 6931 2.1.3
 *   xmlenc#sha512           XML Encryption 1.0, 5.7.4
 *   xmldsig-more#sha3-*     RFC 6931 2.1.5 (namespace 2007/05)
 * XML Signature 1.1 and XML Encryption 1.1 define no other digest URIs; they
 * reuse these.
 */
const EVP_MD *manifest_md_from_uri(const char *uri)
{
	static const struct {
		const char *uri;
		const EVP_MD *(*md)(void);
	} map[] = {
		{ "http://www.w3.org/2000/09/xmldsig#sha1", EVP_sha1 },
		{ "http://www.w3.org/2001/04/xmldsig-more#sha224", EVP_sha224 },
		{ "http://www.w3.org/2001/04/xmlenc#sha256", EVP_sha256 },
		{ "http://www.w3.org/2001/04/xmldsig-more#sha384", EVP_sha384 },
		{ "http://www.w3.org/2001/04/xmlenc#sha512", EVP_sha512 },
		{ "http://www.w3.org/2007/05/xmldsig-more#sha3-224", EVP_sha3_224 },
		{ "http://www.w3.org/2007/05/xmldsig-more#sha3-256", EVP_sha3_256 },
		{ "http://www.w3.org/2007/05/xmldsig-more#sha3-384", EVP_sha3_384 },
		{ "http://www.w3.org/2007/05/xmldsig-more#sha3-512", EVP_sha3_512 },
	};

	if (uri == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(uri, map[i].uri) == 0)
			return map[i].md();
	return NULL;
}

/* ---- writing ----------------------------------------------------------- */

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 2.1: percent-encode every byte but unreserved ones and "/". */
static int put_uri(kho_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && rc == 0; p++) {
		if (is_unreserved(*p) || *p == '/') {
			rc = kho_buf_append(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			rc = kho_buf_append(b, e, 3);
		}
	}
	return rc;
}

/* XML 1.0 2.4 and 3.3.3: escape what an attribute value may not hold as is. */
static int put_attr_text(kho_buf *b, const char *s)
{
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && rc == 0; p++) {
		switch (*p) {
		case '&': rc = kho_buf_append(b, "&amp;", 5); break;
		case '<': rc = kho_buf_append(b, "&lt;", 4); break;
		case '>': rc = kho_buf_append(b, "&gt;", 4); break;
		case '"': rc = kho_buf_append(b, "&quot;", 6); break;
		case '\t': rc = kho_buf_append(b, "&#9;", 4); break;
		case '\n': rc = kho_buf_append(b, "&#10;", 5); break;
		case '\r': rc = kho_buf_append(b, "&#13;", 5); break;
		default:
			if (*p < 0x20)
				return KHO_EINVAL; /* not representable in XML 1.0 */
			rc = kho_buf_append(b, p, 1);
		}
	}
	return rc;
}

/* An ASiCManifest or ASiCArchiveManifest (root), SigReference sig_uri of sig_mime. */
static int write_manifest(kho_buf *out, const char *root, const char *sig_uri,
                          const char *sig_mime, const manifest_item *items, size_t nitems,
                          kho_err *err)
{
	kho_buf b;
	int rc;

	if (out == NULL || sig_uri == NULL || (items == NULL && nitems > 0))
		return kho_err_set(err, KHO_EINVAL, "manifest_write: NULL argument");
	if (sig_uri[0] == '\0')
		return kho_err_set(err, KHO_EINVAL, "manifest_write: empty signature URI");
	if (nitems == 0)
		return kho_err_set(err, KHO_EINVAL,
		                   "manifest_write: an ASiCManifest needs at least one data object");
	if (nitems > MANIFEST_MAX_REFS)
		return kho_err_set(err, KHO_ETOOBIG, "manifest_write: more than %d data objects",
		                   MANIFEST_MAX_REFS);
	kho_buf_init(&b, MANIFEST_MAX_SIZE);
	rc = kho_buf_appendf(&b,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<asic:%s xmlns:asic=\"%s\" xmlns:ds=\"%s\">\n"
		"  <asic:SigReference URI=\"", root, MANIFEST_NS, DSIG_NS);
	if (rc == 0)
		rc = put_uri(&b, sig_uri);
	if (rc == 0)
		rc = kho_buf_appendf(&b, "\" MimeType=\"%s\"/>\n", sig_mime);
	for (size_t i = 0; i < nitems && rc == 0; i++) {
		const manifest_item *it = &items[i];
		unsigned char md[32];
		char *b64;

		if (it->uri == NULL || it->uri[0] == '\0' || (it->data == NULL && it->len > 0)) {
			kho_buf_free(&b);
			return kho_err_set(err, KHO_EINVAL, "manifest_write: item %zu has no URI or data", i);
		}
		if (kho_sha256(md, it->data ? it->data : "", it->len) != 0) {
			kho_buf_free(&b);
			return kho_err_ssl(err, KHO_ECRYPTO, "manifest_write: SHA-256 failed");
		}
		b64 = kho_base64_encode(md, sizeof md);
		if (b64 == NULL) {
			rc = KHO_ENOMEM;
			break;
		}
		rc = kho_buf_appendf(&b, "  <asic:DataObjectReference URI=\"");
		if (rc == 0)
			rc = put_uri(&b, it->uri);
		if (rc == 0 && it->mime != NULL) {
			rc = kho_buf_appendf(&b, "\" MimeType=\"");
			if (rc == 0)
				rc = put_attr_text(&b, it->mime);
		}
		if (rc == 0)
			rc = kho_buf_appendf(&b,
				"\">\n"
				"    <ds:DigestMethod Algorithm=\"%s\"/>\n"
				"    <ds:DigestValue>%s</ds:DigestValue>\n"
				"  </asic:DataObjectReference>\n", SHA256_URI, b64);
		free(b64);
		if (rc == KHO_EINVAL) {
			kho_buf_free(&b);
			return kho_err_set(err, KHO_EINVAL,
			                   "manifest_write: MIME type of \"%.200s\" has a control character",
			                   it->uri);
		}
	}
	if (rc == 0)
		rc = kho_buf_appendf(&b, "</asic:%s>\n", root);
	if (rc == 0) {
		rc = kho_buf_append(out, b.data, b.len);
		if (rc != 0)
			kho_err_set(err, rc, "manifest_write: the manifest does not fit in the output buffer");
	} else {
		kho_err_set(err, rc, "manifest_write: the manifest exceeds %u bytes", MANIFEST_MAX_SIZE);
	}
	kho_buf_free(&b);
	return rc;
}

int manifest_write(kho_buf *out, const char *sig_uri, const manifest_item *items,
                   size_t nitems, kho_err *err)
{
	return write_manifest(out, "ASiCManifest", sig_uri, SIG_MIME, items, nitems, err);
}

int manifest_write_archive(kho_buf *out, const char *tst_uri, const manifest_item *items,
                           size_t nitems, kho_err *err)
{
	return write_manifest(out, "ASiCArchiveManifest", tst_uri, TST_MIME, items, nitems, err);
}

/* ---- parsing ----------------------------------------------------------- */

static int in_ns(xmlNodePtr n, const char *ns)
{
	return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static int is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && in_ns(n, ns) &&
	       strcmp((const char *)n->name, name) == 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3986 2.1: decode %XX; a "%" not followed by two hex digits stays. */
static char *uri_decode(const char *s, int *bad)
{
	size_t n = strlen(s), k = 0;
	char *out = malloc(n + 1);

	*bad = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && n - i > 2 && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			out[k] = (char)(h * 16 + l);
			if (out[k] == '\0')
				*bad = 1;
			k++;
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

/* attr: a copy of attribute name of n (no namespace), or NULL if absent. */
static int get_attr(char **out, xmlNodePtr n, const char *name, int decode, kho_err *err)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int bad = 0;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (strlen((const char *)v) > MANIFEST_MAX_ATTR) {
		xmlFree(v);
		return kho_err_set(err, KHO_ETOOBIG, "manifest line %ld: %s attribute longer than %d bytes",
		                   xmlGetLineNo(n), name, MANIFEST_MAX_ATTR);
	}
	*out = decode ? uri_decode((const char *)v, &bad) : strdup((const char *)v);
	xmlFree(v);
	if (*out == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if (bad) {
		free(*out);
		*out = NULL;
		return kho_err_set(err, KHO_EFORMAT, "manifest line %ld: %s attribute encodes a NUL byte",
		                   xmlGetLineNo(n), name);
	}
	return 0;
}

static int parse_ref(manifest_ref *ref, xmlNodePtr dor, kho_err *err)
{
	xmlNodePtr dm = NULL, dv = NULL;
	xmlChar *text = NULL;
	kho_buf raw;
	long line = xmlGetLineNo(dor);
	int rc;

	kho_buf_init(&raw, EVP_MAX_MD_SIZE);
	rc = get_attr(&ref->uri, dor, "URI", 1, err);
	if (rc != 0)
		return rc;
	if (ref->uri == NULL || ref->uri[0] == '\0')
		return kho_err_set(err, KHO_EFORMAT, "manifest line %ld: DataObjectReference without URI",
		                   line);
	rc = get_attr(&ref->mime, dor, "MimeType", 0, err);
	if (rc != 0)
		return rc;
	for (xmlNodePtr c = dor->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, DSIG_NS, "DigestMethod") && dm == NULL) {
			dm = c;
		} else if (is_el(c, DSIG_NS, "DigestValue") && dv == NULL) {
			dv = c;
		} else if (is_el(c, MANIFEST_NS, "DataObjectReferenceExtensions")) {
			continue;
		} else {
			return kho_err_set(err, KHO_EFORMAT,
			                   "manifest line %ld: unexpected element %s in DataObjectReference "
			                   "\"%.200s\" (DigestMethod and DigestValue must be in the "
			                   "xmldsig namespace, once each)", xmlGetLineNo(c),
			                   (const char *)c->name, ref->uri);
		}
	}
	if (dm == NULL || dv == NULL)
		return kho_err_set(err, KHO_EFORMAT,
		                   "manifest line %ld: DataObjectReference \"%.200s\" lacks a %s in the "
		                   "xmldsig namespace", line, ref->uri,
		                   dm == NULL ? "DigestMethod" : "DigestValue");
	rc = get_attr(&ref->digest_alg, dm, "Algorithm", 0, err);
	if (rc != 0)
		return rc;
	if (ref->digest_alg == NULL)
		return kho_err_set(err, KHO_EFORMAT,
		                   "manifest line %ld: DigestMethod of \"%.200s\" has no Algorithm",
		                   xmlGetLineNo(dm), ref->uri);
	ref->md = manifest_md_from_uri(ref->digest_alg);
	text = xmlNodeGetContent(dv);
	if (text == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	rc = kho_base64_decode(&raw, (const char *)text, strlen((const char *)text));
	xmlFree(text);
	if (rc != 0 || raw.len == 0) {
		kho_buf_free(&raw);
		return kho_err_set(err, KHO_EFORMAT,
		                   "manifest line %ld: DigestValue of \"%.200s\" is not a digest in "
		                   "base64%s", xmlGetLineNo(dv), ref->uri,
		                   rc == KHO_ETOOBIG ? " (too long)" : "");
	}
	if (ref->md != NULL && raw.len != (size_t)EVP_MD_get_size(ref->md)) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "manifest line %ld: DigestValue of \"%.200s\" has %zu bytes, %s "
		                 "needs %d", xmlGetLineNo(dv), ref->uri, raw.len, ref->digest_alg,
		                 EVP_MD_get_size(ref->md));
		kho_buf_free(&raw);
		return rc;
	}
	memcpy(ref->digest, raw.data, raw.len);
	ref->digest_len = raw.len;
	kho_buf_free(&raw);
	return 0;
}

int manifest_parse(manifest **out, const void *xml, size_t len, kho_err *err)
{
	manifest *m = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sig = NULL;
	size_t ndor = 0;
	int rc = 0;

	if (out == NULL || (xml == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "manifest_parse: NULL argument");
	*out = NULL;
	if (len > MANIFEST_MAX_SIZE)
		return kho_err_set(err, KHO_ETOOBIG, "manifest: %zu bytes, more than the limit of %u",
		                   len, MANIFEST_MAX_SIZE);
	if (len == 0)
		return kho_err_set(err, KHO_EFORMAT, "manifest: empty document");
	if ((rc = kho_xml_read(&doc, xml, len, "manifest", err)) != 0)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		rc = kho_err_set(err, KHO_EFORMAT, "manifest: no root element");
		goto out;
	}
	if (strcmp((const char *)root->name, "ASiCManifest") != 0 &&
	    strcmp((const char *)root->name, "ASiCArchiveManifest") != 0) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "manifest: root element is %s, expected ASiCManifest or "
		                 "ASiCArchiveManifest", (const char *)root->name);
		goto out;
	}
	if (!in_ns(root, MANIFEST_NS)) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "manifest: root element %s is in namespace \"%.200s\", expected \"%s\"",
		                 (const char *)root->name,
		                 root->ns && root->ns->href ? (const char *)root->ns->href : "(none)",
		                 MANIFEST_NS);
		goto out;
	}
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	m->is_archive = strcmp((const char *)root->name, "ASiCArchiveManifest") == 0;
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, MANIFEST_NS, "SigReference")) {
			if (sig != NULL) {
				rc = kho_err_set(err, KHO_EFORMAT, "manifest line %ld: a second SigReference",
				                 xmlGetLineNo(c));
				goto out;
			}
			sig = c;
		} else if (is_el(c, MANIFEST_NS, "DataObjectReference")) {
			if (++ndor > MANIFEST_MAX_REFS) {
				rc = kho_err_set(err, KHO_ETOOBIG, "manifest: more than %d DataObjectReference",
				                 MANIFEST_MAX_REFS);
				goto out;
			}
		} else if (is_el(c, MANIFEST_NS, "ASiCManifestExtensions")) {
			continue;
		} else {
			rc = kho_err_set(err, KHO_EFORMAT, "manifest line %ld: unexpected element %s",
			                 xmlGetLineNo(c), (const char *)c->name);
			goto out;
		}
	}
	if (sig == NULL) {
		rc = kho_err_set(err, KHO_EFORMAT, "manifest: missing SigReference");
		goto out;
	}
	rc = get_attr(&m->sig_uri, sig, "URI", 1, err);
	if (rc != 0)
		goto out;
	if (m->sig_uri == NULL || m->sig_uri[0] == '\0') {
		rc = kho_err_set(err, KHO_EFORMAT, "manifest line %ld: SigReference without URI",
		                 xmlGetLineNo(sig));
		goto out;
	}
	rc = get_attr(&m->sig_mime, sig, "MimeType", 0, err);
	if (rc != 0)
		goto out;
	if (ndor == 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "manifest: no DataObjectReference");
		goto out;
	}
	m->refs = calloc(ndor, sizeof *m->refs);
	if (m->refs == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (!is_el(c, MANIFEST_NS, "DataObjectReference"))
			continue;
		rc = parse_ref(&m->refs[m->nrefs++], c, err);
		if (rc != 0)
			goto out;
		for (size_t i = 0; i + 1 < m->nrefs; i++) {
			if (strcmp(m->refs[i].uri, m->refs[m->nrefs - 1].uri) == 0) {
				rc = kho_err_set(err, KHO_EFORMAT,
				                 "manifest line %ld: \"%.200s\" is referenced twice",
				                 xmlGetLineNo(c), m->refs[i].uri);
				goto out;
			}
		}
	}
	*out = m;
	m = NULL;
out:
	manifest_free(m);
	xmlFreeDoc(doc);
	return rc;
}

void manifest_free(manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrefs; i++) {
		free(m->refs[i].uri);
		free(m->refs[i].mime);
		free(m->refs[i].digest_alg);
	}
	free(m->refs);
	free(m->sig_uri);
	free(m->sig_mime);
	free(m);
}
