#!/usr/bin/env bash
# t0130-foreign-containers.sh: `kho verify` on ASiC containers that kho did
# not make, of the kinds found in the wild, must classify each as the EU
# reference validator (DSS, esig/dss) does. The containers are built here,
# at test time, with Python's zipfile and the openssl CLI only (openssl cms
# for CAdES, openssl ts for RFC 3161 tokens; the few CMS attributes openssl
# cannot add are spliced into the DER by mk.py below): never with kho's own
# writer. The PKI is `kho pki init`'s; the CRLs are given with --crl, as
# DSS would be given them, so that revocation is known.
#
# Each case cites the DSS test or validation-policy rule that fixes DSS's
# answer. The table with every kind is in docs/verification.md ("Foreign
# containers"). Cases where kho differs from DSS are marked KNOWN DIFFERENCE.
source "$ROOT/tests/integration/lib.sh"

"$KHO" pki init pki >/dev/null || { fail "kho pki init"; finish; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=unrelated root" \
	-days 30 -keyout unrelated.key -out unrelated.pem >/dev/null 2>&1
echo 01 >tsaserial
cat >ts.cnf <<'EOF'
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.59999.9.1
other_policies = 1.3.6.1.4.1.59999.9.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
certs = yes
EOF

# ---- the foreign container builder ---------------------------------------
cat >mk.py <<'PY'
# mk.py: builds foreign ASiC containers with Python's zipfile and the openssl
# CLI only (no kho code), for t0130. CMS edits that openssl cannot make
# (unsigned signature-timestamp, counter-signature, signed content-timestamp)
# are done on the DER with the tiny codec below.
import base64, hashlib, os, subprocess, sys, urllib.parse, zipfile

PKI = os.environ.get("PKI", "pki")

def run(*a, data=None):
    return subprocess.run(a, input=data, stdout=subprocess.PIPE, check=True).stdout

# ---- DER: node = [tag, bytes-or-list] ------------------------------------
def der_parse(b, i=0):
    tag = b[i]; i += 1
    n = b[i]; i += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
    body = b[i:i + n]
    if tag & 0x20:
        kids, j = [], 0
        while j < len(body):
            kid, j = der_parse(body, j); kids.append(kid)
        return [tag, kids], i + n
    return [tag, body], i + n

def der_len(n):
    if n < 0x80: return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(s)]) + s

def der(node, tag=None):
    t, c = node
    body = b"".join(der(k) for k in c) if isinstance(c, list) else c
    return bytes([t if tag is None else tag]) + der_len(len(body)) + body

def oid(s):
    p = [int(x) for x in s.split(".")]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        enc = [v & 0x7f]; v >>= 7
        while v: enc.insert(0, 0x80 | (v & 0x7f)); v >>= 7
        out += bytes(enc)
    return [0x06, out]

def signer_info(ci):
    sd = ci[1][1][1][0]          # ContentInfo -> [0] -> SignedData
    return sd, sd[1][-1][1][0]   # SignerInfos SET -> first SignerInfo

def sig_value(cms_der):
    _, si = signer_info(der_parse(cms_der)[0])
    return [k for k in si[1] if k[0] == 0x04][0][1]

def attribute(o, value_der):
    return [0x30, [oid(o), [0x31, [der_parse(value_der)[0]]]]]

def add_unsigned(cms_der, o, value_der):
    ci = der_parse(cms_der)[0]
    _, si = signer_info(ci)
    if si[1][-1][0] == 0xA1:
        si[1][-1][1].append(attribute(o, value_der))
    else:
        si[1].append([0xA1, [attribute(o, value_der)]])
    return der(ci)

def add_signed_and_resign(cms_der, o, value_der, key):
    """Add (or replace) a signed attribute and sign the signed attributes
    again (RFC 5652 5.4)."""
    ci = der_parse(cms_der)[0]
    _, si = signer_info(ci)
    sa = [k for k in si[1] if k[0] == 0xA0][0]
    sa[1] = [a for a in sa[1] if a[1][0] != oid(o)]
    sa[1].append(attribute(o, value_der))
    sa[1].sort(key=der)                      # DER SET OF order
    tbs = der(sa, tag=0x31)
    sig = run("openssl", "dgst", "-sha256", "-sign", key, data=tbs)
    [k for k in si[1] if k[0] == 0x04][0][1] = sig
    return der(ci)

def cms_sign(content, signer="signer", extra=(), cades=True, md="sha256"):
    with open("tbs.bin", "wb") as f: f.write(content)
    return run("openssl", "cms", "-sign", "-binary", *(["-cades"] if cades else []),
               "-nosmimecap", "-md", md,
               "-in", "tbs.bin", "-signer", f"{PKI}/{signer}.pem", "-inkey", f"{PKI}/{signer}.key",
               "-certfile", f"{PKI}/ca.pem", "-outform", "DER", *extra)

def ts_token(data, cnf="ts.cnf"):
    """An RFC 3161 token over data from `openssl ts` with the PKI's TSA."""
    with open("ts.dat", "wb") as f: f.write(data)
    run("openssl", "ts", "-query", "-data", "ts.dat", "-sha256", "-cert", "-out", "ts.tsq")
    return run("openssl", "ts", "-reply", "-config", cnf, "-queryfile", "ts.tsq",
               "-inkey", f"{PKI}/tsa.key", "-signer", f"{PKI}/tsa.pem", "-chain", f"{PKI}/ca.pem",
               "-token_out")

def ts_token_at(data, when):
    """A token over data whose genTime is `when` (seconds since the epoch),
    built by hand (TSTInfo, RFC 3161 2.4.2) and signed by the PKI's TSA with
    `openssl cms`: `openssl ts` only stamps the present."""
    import time
    gt = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(when)).encode()
    tst = der([0x30, [[0x02, b"\x01"], oid("1.3.6.1.4.1.59999.1.9"),
                      [0x30, [[0x30, [oid("2.16.840.1.101.3.4.2.1"), [0x05, b""]]],
                              [0x04, hashlib.sha256(data).digest()]]],
                      [0x02, os.urandom(8).lstrip(b"\x00") or b"\x01"], [0x18, gt],
                      [0x30, [[0x02, b"\x01"]]]]])
    with open("tstinfo.der", "wb") as f: f.write(tst)
    return run("openssl", "cms", "-sign", "-binary", "-nodetach", "-cades", "-nosmimecap",
               "-md", "sha256", "-econtent_type", "1.2.840.113549.1.9.16.1.4",
               "-in", "tstinfo.der", "-signer", f"{PKI}/tsa.pem", "-inkey", f"{PKI}/tsa.key",
               "-certfile", f"{PKI}/ca.pem", "-outform", "DER")

SIG_TST = "1.2.840.113549.1.9.16.2.14"      # id-aa-signatureTimeStampToken
SIGNING_TIME = "1.2.840.113549.1.9.5"       # id-signingTime (RFC 5652 11.3)
SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"  # id-aa-signingCertificateV2 (RFC 5035)
SIGNING_CERT_V1 = "1.2.840.113549.1.9.16.2.12"  # id-aa-signingCertificate (RFC 2634)
CONTENT_TST = "1.2.840.113549.1.9.16.2.20"  # id-aa-ets-contentTimestamp
COUNTERSIG = "1.2.840.113549.1.9.6"         # id-countersignature (RFC 5652 11.4)

def manifest(sig_uri, refs, encode=True, alg="sha256"):
    uris = {"sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
            "sha512": "http://www.w3.org/2001/04/xmlenc#sha512"}
    x = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
         '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" '
         'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">',
         f'<asic:SigReference MimeType="application/x-pkcs7-signature" URI="{sig_uri}"/>']
    for name, data in refs:
        u = urllib.parse.quote(name, safe="/") if encode else name
        d = base64.b64encode(hashlib.new(alg, data).digest()).decode()
        x.append(f'<asic:DataObjectReference MimeType="application/octet-stream" URI="{u}">'
                 f'<ds:DigestMethod Algorithm="{uris[alg]}"/><ds:DigestValue>{d}</ds:DigestValue>'
                 '</asic:DataObjectReference>')
    x.append("</asic:ASiCManifest>")
    return "\n".join(x).encode()

def zipit(path, entries, mimetype="application/vnd.etsi.asic-e+zip"):
    with zipfile.ZipFile(path, "w") as z:
        if mimetype is not None:
            z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, data in entries:
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)

PDF = b"%PDF-1.4\n% ket qua giai quyet thu tuc hanh chinh\n" + os.urandom(256)
PDF2 = b"%PDF-1.4\n% ban sao\n" + os.urandom(128)

def asice(path, files, mimetype="application/vnd.etsi.asic-e+zip", refs=None, sig=None,
          sig_uri="META-INF/signature001.p7s", encode=True, alg="sha256", extra=(), post=None):
    m = manifest(sig_uri, refs if refs is not None else files, encode, alg)
    s = cms_sign(m) if sig is None else sig(m)
    if post: s = post(s)
    zipit(path, list(files) + [("META-INF/ASiCManifest001.xml", m),
                               ("META-INF/signature001.p7s", s)] + list(extra), mimetype)

def build(kind):
    f = [("ketqua.pdf", PDF)]
    if kind == "ok":
        asice("ok.asice", f)
    elif kind == "two-objects-subfolder":
        asice("sub.asice", [("ketqua.pdf", PDF), ("hoso/ban sao/phu luc.pdf", PDF2)])
    elif kind == "unicode-name":
        # NFC Vietnamese name with spaces, percent-encoded in the manifest (as DSS writes)
        asice("uni.asice", [("Kết quả giải quyết.pdf", PDF)])
    elif kind == "unicode-name-raw":
        asice("uniraw.asice", [("Kết quả giải quyết.pdf", PDF)], encode=False)
    elif kind == "unicode-name-nfd":
        # the manifest names the object in NFD (as macOS tools write), the ZIP in NFC
        import unicodedata
        n = "Kết quả giải quyết.pdf"
        asice("uninfd.asice", [(n, PDF)], refs=[(unicodedata.normalize("NFD", n), PDF)])
    elif kind == "sha512":
        asice("sha512.asice", f, alg="sha512")
    elif kind == "no-mimetype":
        asice("nomime.asice", f, mimetype=None)
    elif kind == "mimetype-asics":
        asice("mimeasics.asice", f, mimetype="application/vnd.etsi.asic-s+zip")
    elif kind == "mimetype-crlf":
        asice("mimecrlf.asice", f, mimetype="application/vnd.etsi.asic-e+zip\r\n")
    elif kind == "unsigned-extra":
        asice("extra.asice", f, extra=[("ghichu.txt", b"not signed\n")])
    elif kind == "manifest-refs-mimetype":
        asice("refmime.asice", f, refs=f + [("mimetype", b"application/vnd.etsi.asic-e+zip")])
    elif kind == "manifest-refs-itself":
        asice("refself.asice", f, refs=f + [("META-INF/signature001.p7s", b"a guess")])
    elif kind == "sig-timestamp":
        asice("bt.asice", f, post=lambda s: add_unsigned(s, SIG_TST, ts_token(sig_value(s))))
    elif kind == "content-timestamp-late":
        # a content timestamp an hour after the signature timestamp (the
        # content stamped after it was signed), and one a minute before
        import time
        m = manifest("META-INF/signature001.p7s", f)
        for secs, out in ((3600, "ctlate.asice"), (-60, "ctearly.asice")):
            s = add_signed_and_resign(cms_sign(m), CONTENT_TST, ts_token_at(m, time.time() + secs),
                                      f"{PKI}/signer.key")
            s = add_unsigned(s, SIG_TST, ts_token(sig_value(s)))
            zipit(out, f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s)])
    elif kind == "co-signed":
        # one signature file, two SignerInfos: the signer and the revoked one
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m, extra=("-signer", f"{PKI}/revoked-signer.pem",
                               "-inkey", f"{PKI}/revoked-signer.key"))
        zipit("cosigned.asice", f + [("META-INF/ASiCManifest001.xml", m),
                                     ("META-INF/signature001.p7s", s)])
    elif kind == "sig-timestamp-skew":
        # a signer's clock ahead of the TSA's: signing time 1 s after the
        # genTime of a token whose accuracy is 1 s (ts.cnf), and 30 s after
        import time
        m = manifest("META-INF/signature001.p7s", f)
        for secs, out in ((1, "skew1.asice"), (30, "skew30.asice")):
            st = time.strftime("%y%m%d%H%M%SZ", time.gmtime(time.time() + secs)).encode()
            s = add_signed_and_resign(cms_sign(m), SIGNING_TIME, der([0x17, st]), f"{PKI}/signer.key")
            s = add_unsigned(s, SIG_TST, ts_token(sig_value(s)))
            zipit(out, f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s)])
    elif kind == "content-timestamp":
        # EN 319 122-1 5.2.8: content-time-stamp over the signed data (the manifest)
        asice("cts.asice", f, sig=lambda m: add_signed_and_resign(
            cms_sign(m), CONTENT_TST, ts_token(m), f"{PKI}/signer.key"))
    elif kind == "counter-signature":
        def cs(s):
            c = cms_sign(sig_value(s), "ecdsa-signer")
            _, csi = signer_info(der_parse(c)[0])
            return add_unsigned(s, COUNTERSIG, der(csi))
        asice("counter.asice", f, post=cs)
    elif kind == "expired":
        asice("expired.asice", f, sig=lambda m: cms_sign(m, "expired-signer"))
    elif kind == "revoked":
        asice("revoked.asice", f, sig=lambda m: cms_sign(m, "revoked-signer"))
    elif kind == "revoked-ts":
        asice("revokedts.asice", f, sig=lambda m: cms_sign(m, "revoked-signer"),
              post=lambda s: add_unsigned(s, SIG_TST, ts_token(sig_value(s))))
    elif kind == "sig-value-broken":
        def brk(s):
            v = sig_value(s); i = s.find(v) + len(v) // 2
            return s[:i] + bytes([s[i] ^ 1]) + s[i + 1:]
        asice("badsig.asice", f, post=brk)
    elif kind == "manifest-altered":
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m)
        zipit("altered.asice", f + [("META-INF/ASiCManifest001.xml", m.replace(b"<asic:Data", b" <asic:Data")),
                                    ("META-INF/signature001.p7s", s)])
    elif kind == "data-tampered":
        m = manifest("META-INF/signature001.p7s", f)
        zipit("tampered.asice", [("ketqua.pdf", PDF + b"x"), ("META-INF/ASiCManifest001.xml", m),
                                 ("META-INF/signature001.p7s", cms_sign(m))])
    elif kind in ("two-signatures", "two-signatures-one-broken"):
        m1 = manifest("META-INF/signature001.p7s", f)
        f2 = [("banso.pdf", PDF2)]
        m2 = manifest("META-INF/signature002.p7s", f + f2)
        data2 = PDF2 if kind == "two-signatures" else PDF2 + b"x"
        zipit("two.asice" if kind == "two-signatures" else "twobroken.asice",
              [("ketqua.pdf", PDF), ("banso.pdf", data2),
               ("META-INF/ASiCManifest001.xml", m1), ("META-INF/signature001.p7s", cms_sign(m1)),
               ("META-INF/ASiCManifest002.xml", m2),
               ("META-INF/signature002.p7s", cms_sign(m2, "ecdsa-signer"))])
    elif kind == "signature-without-manifest":
        # two signatures, one manifest that names only the first
        m1 = manifest("META-INF/signature001.p7s", f)
        zipit("orphan.asice", f + [("META-INF/ASiCManifest001.xml", m1),
                                   ("META-INF/signature001.p7s", cms_sign(m1)),
                                   ("META-INF/signature002.p7s", cms_sign(m1, "ecdsa-signer"))])
    elif kind == "single-manifest-other-sigref":
        # one signature, one manifest whose SigReference names another file
        m = manifest("META-INF/signature.p7s", f)
        zipit("othersigref.asice", f + [("META-INF/ASiCManifest.xml", m),
                                        ("META-INF/signature001.p7s", cms_sign(m))])
    elif kind == "no-manifest-asice":
        # ASiC-S layout, but an ASiC-E mimetype: ASiC-E needs a manifest
        zipit("nomanifest.asice", f + [("META-INF/signature.p7s", cms_sign(PDF))])
    elif kind == "empty-manifest":
        m = manifest("META-INF/signature001.p7s", [])
        zipit("emptymf.asice", f + [("META-INF/ASiCManifest001.xml", m),
                                    ("META-INF/signature001.p7s", cms_sign(m))])
    elif kind == "asics":
        zipit("ok.asics", f + [("META-INF/signature.p7s", cms_sign(PDF))],
              "application/vnd.etsi.asic-s+zip")
    elif kind == "asics-tampered":
        zipit("tampered.asics", [("ketqua.pdf", PDF + b"x"), ("META-INF/signature.p7s", cms_sign(PDF))],
              "application/vnd.etsi.asic-s+zip")
    elif kind == "asics-timestamped":
        s = cms_sign(PDF)
        s = add_unsigned(s, SIG_TST, ts_token(sig_value(s)))
        zipit("bt.asics", f + [("META-INF/signature.p7s", s)], "application/vnd.etsi.asic-s+zip")
    elif kind == "asics-two-files":
        zipit("two.asics", f + [("other.pdf", PDF2), ("META-INF/signature.p7s", cms_sign(PDF))],
              "application/vnd.etsi.asic-s+zip")
    elif kind == "asics-no-mimetype":
        zipit("nomime.asics", f + [("META-INF/signature.p7s", cms_sign(PDF))], None)
    elif kind == "archive-timestamp":
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m)
        s = add_unsigned(s, SIG_TST, ts_token(sig_value(s)))
        am = manifest("META-INF/timestamp001.tst",
                      f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s)])
        zipit("lta.asice", f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s),
                                ("META-INF/ASiCArchiveManifest.xml", am),
                                ("META-INF/timestamp001.tst", ts_token(am))])
    elif kind == "archive-timestamp-late-signing-time":
        # B-LTA without a signature timestamp, the claimed signing-time an
        # hour after the container timestamp that covers the signature.
        import time
        m = manifest("META-INF/signature001.p7s", f)
        st = time.strftime("%y%m%d%H%M%SZ", time.gmtime(time.time() + 3600)).encode()
        s = add_signed_and_resign(cms_sign(m), SIGNING_TIME, der([0x17, st]), f"{PKI}/signer.key")
        am = manifest("META-INF/timestamp001.tst",
                      f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s)])
        zipit("ltalate.asice", f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s),
                                    ("META-INF/ASiCArchiveManifest.xml", am),
                                    ("META-INF/timestamp001.tst", ts_token(am))])
    elif kind == "unsigned-record":
        # a record.xml no signed manifest covers, beside a signature that passes
        asice("unsrec.asice", f, extra=[("record.xml", open(os.environ["REC"], "rb").read())])
    elif kind == "twin-manifest":
        # A second, unsigned manifest naming the same signature and listing
        # a forged record.xml and an extra file (found by review,
        # 2026-12-07: kho believed the record and called both signed).
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m)
        rec = open(os.environ["REC"], "rb").read().replace(b"-KQ1<", b"-KQ9<")
        m2 = manifest("META-INF/signature001.p7s", [("record.xml", rec), ("evil.pdf", b"%PDF evil")])
        zipit("twin.asice", f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s),
                                 ("record.xml", rec), ("evil.pdf", b"%PDF evil"),
                                 ("META-INF/ASiCManifest002.xml", m2)])
    elif kind == "unstamped-archive-manifest":
        # An ASiCArchiveManifest whose token stamps other bytes: the extra
        # file it lists is signed by nobody.
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m)
        am = manifest("META-INF/timestamp001.tst", f + [("extra.pdf", PDF2)])
        zipit("unstamped.asice", f + [("extra.pdf", PDF2), ("META-INF/ASiCManifest001.xml", m),
                                      ("META-INF/signature001.p7s", s),
                                      ("META-INF/ASiCArchiveManifest.xml", am),
                                      ("META-INF/timestamp001.tst", ts_token(m))])
    elif kind == "archive-timestamp-sha1":
        # B-LTA whose archive token is signed with SHA-1: not accepted, and
        # the report says why (it said nothing for a while: found by review).
        with open("ts-sha1.cnf", "w") as o:
            o.write(open("ts.cnf").read().replace("signer_digest = sha256", "signer_digest = sha1"))
        m = manifest("META-INF/signature001.p7s", f)
        s = cms_sign(m)
        am = manifest("META-INF/timestamp001.tst",
                      f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s)])
        zipit("ltasha1.asice", f + [("META-INF/ASiCManifest001.xml", m), ("META-INF/signature001.p7s", s),
                                    ("META-INF/ASiCArchiveManifest.xml", am),
                                    ("META-INF/timestamp001.tst", ts_token(am, "ts-sha1.cnf"))])
    elif kind == "sig-timestamp-sha1":
        # The token's SignerInfo signed with SHA-1 (its imprint SHA-256).
        with open("ts-sha1.cnf", "w") as o:
            o.write(open("ts.cnf").read().replace("signer_digest = sha256", "signer_digest = sha1"))
        asice("tsasha1.asice", f, post=lambda s: add_unsigned(s, SIG_TST, ts_token(sig_value(s), "ts-sha1.cnf")))
    elif kind == "sha1-intermediate":
        # A trusted root (SHA-256) -> an RSA-1024 CA it signed with SHA-1
        # -> a signer that CA signed with SHA-1.
        ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        with open("w-ca.ext", "w") as o: o.write(ext)
        with open("w-ee.ext", "w") as o: o.write("keyUsage=critical,digitalSignature,nonRepudiation\n")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "w-root.key",
            "-out", "w-root.pem", "-subj", "/CN=W Root", "-days", "30", "-sha256")
        run("openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "w-ca.key",
            "-out", "w-ca.csr", "-subj", "/CN=W CA 1024")
        run("openssl", "x509", "-req", "-in", "w-ca.csr", "-CA", "w-root.pem", "-CAkey", "w-root.key",
            "-CAcreateserial", "-out", "w-ca.pem", "-days", "20", "-sha1", "-extfile", "w-ca.ext")
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "w-signer.key",
            "-out", "w-signer.csr", "-subj", "/CN=W Signer")
        run("openssl", "x509", "-req", "-in", "w-signer.csr", "-CA", "w-ca.pem", "-CAkey", "w-ca.key",
            "-CAcreateserial", "-out", "w-signer.pem", "-days", "10", "-sha1", "-extfile", "w-ee.ext")
        def wsign(content):
            with open("tbs.bin", "wb") as o: o.write(content)
            return run("openssl", "cms", "-sign", "-binary", "-cades", "-nosmimecap", "-md", "sha256",
                       "-in", "tbs.bin", "-signer", "w-signer.pem", "-inkey", "w-signer.key",
                       "-certfile", "w-ca.pem", "-outform", "DER")
        asice("sha1chain.asice", f, sig=wsign)
    elif kind in ("ess-sha1", "ess-sha256-explicit"):
        # signing-certificate-v2 written here, its ESSCertIDv2 with an
        # explicit hashAlgorithm: SHA-1 (RFC 5035 allows any hash; the
        # algorithm constraints do not), or SHA-256 (the DEFAULT, written out).
        alg, h = (("1.3.14.3.2.26", hashlib.sha1) if kind == "ess-sha1" else
                  ("2.16.840.1.101.3.4.2.1", hashlib.sha256))
        cert = run("openssl", "x509", "-in", f"{PKI}/signer.pem", "-outform", "DER")
        ess = der([0x30, [[0x30, [[0x30, [[0x30, [oid(alg)]], [0x04, h(cert).digest()]]]]]]])
        asice("esssha1.asice" if kind == "ess-sha1" else "esssha256.asice", f,
              sig=lambda m: add_signed_and_resign(cms_sign(m, cades=False), SIGNING_CERT_V2, ess,
                                                  f"{PKI}/signer.key"))
    elif kind == "ess-v2-path":
        # ESSCertIDv2s for the signer and then the root of its path (RFC 5035
        # 5.4: further certificates may be named), the root not embedded
        # (found by review, 2026-12-07: NO_SIGNING_CERTIFICATE_FOUND).
        ids = [[0x30, [[0x04, hashlib.sha256(run("openssl", "x509", "-in", f"{PKI}/{c}.pem",
                                                  "-outform", "DER")).digest()]]]
               for c in ("signer", "root")]
        ess = der([0x30, [[0x30, ids]]])
        asice("essv2path.asice", f,
              sig=lambda m: add_signed_and_resign(cms_sign(m, cades=False), SIGNING_CERT_V2, ess,
                                                  f"{PKI}/signer.key"))
    elif kind in ("ess-v1", "ess-v1-wrong", "ess-v1-beside-v2"):
        # The v1 signing-certificate attribute (RFC 2634 5.4: SigningCertificate
        # { certs SEQUENCE OF ESSCertID { certHash OCTET STRING (SHA-1 of the
        # certificate's DER), issuerSerial { issuer GeneralNames, serial } } }),
        # written here by hand from the certificate's DER, under a SHA-256
        # signature: alone and right, alone with one bit of the hash flipped,
        # and wrong beside a right signing-certificate-v2 (openssl's -cades).
        cert = run("openssl", "x509", "-in", f"{PKI}/signer.pem", "-outform", "DER")
        tbs = der_parse(cert)[0][1][0][1]
        issuer, serial = tbs[3], tbs[1]          # [0] version, serial, sigalg, issuer
        h = bytearray(hashlib.sha1(cert).digest())
        if kind != "ess-v1":
            h[0] ^= 1
        ess = der([0x30, [[0x30, [[0x30, [[0x04, bytes(h)],
                                          [0x30, [[0x30, [[0xA4, [issuer]]]], serial]]]]]]]])
        out = {"ess-v1": "essv1.asice", "ess-v1-wrong": "essv1bad.asice",
               "ess-v1-beside-v2": "essv1v2.asice"}[kind]
        asice(out, f, sig=lambda m: add_signed_and_resign(
            cms_sign(m, cades=kind == "ess-v1-beside-v2"), SIGNING_CERT_V1, ess, f"{PKI}/signer.key"))
    elif kind == "ess-v1-sha1-sig":
        # openssl cms -sign -cades -md sha1: a SHA-1 signature whose
        # reference is the v1 attribute (OpenSSL writes v1 for SHA-1).
        asice("essv1sha1.asice", f, sig=lambda m: cms_sign(m, md="sha1"))
    elif kind in ("chain-ca-false", "chain-critical-ext", "chain-ok"):
        # A root (trusted in the test) -> an intermediate -> a signer. The
        # intermediate says CA:FALSE, or the signer carries an unknown
        # critical extension, or neither (the control: the same PKI passes).
        if not os.path.exists("x-root.pem"):
            run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "x-root.key",
                "-out", "x-root.pem", "-subj", "/CN=X Root", "-days", "30", "-sha256")
        ca_ext = ("basicConstraints=critical,CA:FALSE\n" if kind == "chain-ca-false" else
                  "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
        ee_ext = "keyUsage=critical,digitalSignature,nonRepudiation\n"
        if kind == "chain-critical-ext":
            ee_ext += "1.3.6.1.4.1.59999.9.77=critical,ASN1:UTF8String:kho test\n"
        with open(f"x-{kind}-ca.ext", "w") as o: o.write(ca_ext)
        with open(f"x-{kind}-ee.ext", "w") as o: o.write(ee_ext)
        ca, ee = f"x-{kind}-ca", f"x-{kind}-ee"
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
            "-out", f"{ca}.csr", "-subj", f"/CN=X CA {kind}")
        run("openssl", "x509", "-req", "-in", f"{ca}.csr", "-CA", "x-root.pem", "-CAkey", "x-root.key",
            "-set_serial", "2", "-out", f"{ca}.pem", "-days", "20", "-sha256", "-extfile", f"{ca}.ext")
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ee}.key",
            "-out", f"{ee}.csr", "-subj", f"/CN=X Signer {kind}")
        run("openssl", "x509", "-req", "-in", f"{ee}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-set_serial", "3", "-out", f"{ee}.pem", "-days", "10", "-sha256", "-extfile", f"{ee}.ext")
        def xsign(content):
            with open("tbs.bin", "wb") as o: o.write(content)
            return run("openssl", "cms", "-sign", "-binary", "-cades", "-nosmimecap", "-md", "sha256",
                       "-in", "tbs.bin", "-signer", f"{ee}.pem", "-inkey", f"{ee}.key",
                       "-certfile", f"{ca}.pem", "-outform", "DER")
        asice(f"{kind}.asice", f, sig=xsign)
    elif kind == "attached":
        # the signature carries the manifest as eContent (openssl -nodetach)
        asice("attached.asice", f, sig=lambda m: cms_sign(m, extra=("-nodetach",)))
    elif kind == "duplicate-reference":
        # the manifest lists ketqua.pdf twice (same digest both times)
        m = manifest("META-INF/signature001.p7s", f + f)
        zipit("dupref.asice", f + [("META-INF/ASiCManifest001.xml", m),
                                   ("META-INF/signature001.p7s", cms_sign(m))])
    elif kind == "timestamp-only":
        m = manifest("META-INF/timestamp.tst", f)
        zipit("tstonly.asice", f + [("META-INF/ASiCManifest.xml", m),
                                    ("META-INF/timestamp.tst", ts_token(m))])
    elif kind == "no-signature-zip":
        zipit("plain.zip", f + [("readme.txt", b"hello\n")], None)
    elif kind == "xades":
        x = (b'<?xml version="1.0" encoding="UTF-8"?><asic:XAdESSignatures '
             b'xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
             b'<ds:Signature Id="S0"><ds:SignedInfo/><ds:SignatureValue>AAAA</ds:SignatureValue>'
             b'</ds:Signature></asic:XAdESSignatures>')
        zipit("xades.asice", f + [("META-INF/signatures0.xml", x)])
    else:
        sys.exit("unknown kind " + kind)

for k in sys.argv[1:]:
    build(k)
PY

KINDS="ok two-objects-subfolder unicode-name unicode-name-raw unicode-name-nfd sha512 no-mimetype mimetype-asics
mimetype-crlf unsigned-extra manifest-refs-mimetype manifest-refs-itself sig-timestamp
content-timestamp counter-signature expired revoked revoked-ts sig-value-broken manifest-altered
data-tampered two-signatures two-signatures-one-broken no-manifest-asice empty-manifest
asics-two-files archive-timestamp timestamp-only no-signature-zip xades twin-manifest unsigned-record
sig-timestamp-skew co-signed content-timestamp-late
unstamped-archive-manifest sig-timestamp-sha1 sha1-intermediate ess-sha1 ess-sha256-explicit archive-timestamp-late-signing-time
archive-timestamp-sha1 ess-v1 ess-v1-wrong ess-v1-beside-v2 ess-v1-sha1-sig ess-v2-path
chain-ca-false chain-critical-ext chain-ok attached duplicate-reference"
# shellcheck disable=SC2086
check "foreign containers built with zipfile + openssl only" env PKI=pki \
	REC="$ROOT/testdata/records/ct01-certified-copy.xml" python3 mk.py $KINDS

# Independent proof that the containers are what they claim: openssl and
# unzip accept the plain one (so a kho failure below is kho's, not mk.py's).
unzip -o -q -d okx ok.asice
check "ok.asice: openssl cms -verify accepts it" openssl cms -verify -binary -inform DER \
	-in okx/META-INF/signature001.p7s -content okx/META-INF/ASiCManifest001.xml \
	-CAfile pki/trust.pem -purpose any -cades -out /dev/null

# v NAME FILE STATUS VERDICT [ARGS...]: kho verify FILE (trusted, CRLs given);
# exit STATUS and the verdict line "kho verify: VERDICT". The report is kept
# in NAME.txt (or NAME.json with --format json).
v() {
	local name=$1 file=$2 st=$3 verdict=$4 out=$1.txt; shift 4
	case " $* " in *" json "*) out=$name.json ;; esac
	check_exit "$name: exit $st" "$st" "$KHO" verify --trust pki/trust.pem --crl pki/crls.pem "$@" "$file"
	cp check.out "$out"
	check_grep "$name: $verdict" "^kho verify: $verdict" check.err
	# never TOTAL-PASSED when something else is expected
	if [ "$st" -ne 0 ]; then check_nogrep "$name: not TOTAL-PASSED" '^kho verify: TOTAL-PASSED' check.err; fi
}
# jq-like assertion on a JSON report: j NAME DESCRIPTION PYTHON-EXPR (r = the report)
j() { check "$1: $2" python3 -c "import json,sys; r=json.load(open('$1.json')); sys.exit(0 if ($3) else 1)"; }

# 1. A plain foreign ASiC-E/CAdES-B-B. DSS: ASiCWithCAdESValidatorTest (onefile-ok),
#    with the anchor trusted: TOTAL_PASSED; with an unrelated anchor:
#    INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND (EN 319 102-1 5.2.6), as t0110.
v ok ok.asice 0 'TOTAL-PASSED'
check_exit "ok: unrelated anchor: exit 2" 2 "$KHO" verify --trust unrelated.pem ok.asice
check_grep "ok: unrelated anchor: NO_CERTIFICATE_CHAIN_FOUND" \
	'^kho verify: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND' check.err

# 2. Data objects in a subfolder and with spaces in the name. DSS: root and
#    non-root objects are signed data alike (SignedFilesPresent counts every
#    file outside META-INF/); ASiCEWithCAdESFileRemovedTest digests per entry.
v subfolder sub.asice 0 'TOTAL-PASSED' --format json
j subfolder "both objects ok" \
	'sorted(o["name"] for o in r["signatures"][0]["objects"] if o["state"]=="ok")==["hoso/ban sao/phu luc.pdf","ketqua.pdf"]'

# 3. A Vietnamese (NFC) file name with spaces, percent-encoded in the
#    manifest as DSS writes it (RFC 3986), and the same written raw. DSS
#    decodes the URI (DSSUtils.decodeURI) and compares with the entry name.
v unicode uni.asice 0 'TOTAL-PASSED'
check_grep "unicode: the object is named as in the ZIP" '^    ok +Kết quả giải quyết\.pdf$' unicode.txt
v unicode-raw uniraw.asice 0 'TOTAL-PASSED'
#    ... and the manifest's URI in NFD: the same entry (pkg_find), checked
#    and not listed as unsigned besides.
v unicode-nfd uninfd.asice 0 'TOTAL-PASSED' --format json
j unicode-nfd "no object listed unsigned" 'r["unsigned_objects"]==[]'

# 4. SHA-512 manifest digests (xmlenc#sha512). DSS policy: SHA512 acceptable.
v sha512 sha512.asice 0 'TOTAL-PASSED'

# 5. No mimetype at all. DSS policy (constraint.xml): MimeTypeFilePresent is
#    INFORM, so no failure (ASiCENoMimeTypeContentTest reads such a file).
#    kho reports the deviation.
v no-mimetype nomime.asice 0 'TOTAL-PASSED'
check_grep "no-mimetype: deviation reported" 'deviation: no mimetype entry' no-mimetype.txt

# 6. mimetype of another value: ASiC-S's media type in an ASiC-E container,
#    and the ASiC-E type with CR LF (ASiCEWithNewLineMimeTypeTest: DSS
#    validates it). DSS policy: AcceptableMimeTypeFileContent is WARN.
v mimetype-asics mimeasics.asice 0 'TOTAL-PASSED'
check_grep "mimetype-asics: deviation reported" 'deviation: mimetype does not hold exactly .*it says ASiC-S, but the container is ASiC-E' mimetype-asics.txt
v mimetype-crlf mimecrlf.asice 0 'TOTAL-PASSED'
check_grep "mimetype-crlf: deviation reported" 'deviation: mimetype does not hold exactly' mimetype-crlf.txt

# 7. A file no manifest covers. DSS policy: AllFilesSigned is WARN (SiVa
#    issue 18: "All files are not signed!" as a warning).
v unsigned-extra extra.asice 0 'TOTAL-PASSED' --format json
j unsigned-extra "ghichu.txt listed as unsigned" 'r["unsigned_objects"]==["ghichu.txt"]'

# 8. A manifest that also references `mimetype` (digest right): DSS checks
#    every manifest entry against the container's documents; all intact.
v refs-mimetype refmime.asice 0 'TOTAL-PASSED'
#    ... and one that references its own signature: that digest cannot be
#    right (the signature is made after the manifest). DSS: a manifest entry
#    not intact, ReferenceDataIntact (FAIL) -> TOTAL-FAILED/HASH_FAILURE.
v refs-itself refself.asice 1 'TOTAL-FAILED/HASH_FAILURE'

# 9. CAdES-B-T: a signature timestamp from `openssl ts`. DSS: T-level valid,
#    best signature time = the token's genTime.
v sig-timestamp bt.asice 0 'TOTAL-PASSED' --format json
# 7a. Two SignerInfos in one signature file (a co-signer revoked): kho
#     validates one signer per signature file, so it cannot pass (found by
#     review: TOTAL-PASSED, the revoked co-signer unseen).
v co-signed cosigned.asice 2 'INDETERMINATE/SIG_CONSTRAINTS_FAILURE: the signature file holds 2 SignerInfos'
# 7b. The claimed signing time after the signature timestamp's genTime:
#     within the token's accuracy (1 s here, RFC 3161 2.4.2) a clock skew, not
#     an order failure (found by review: INDETERMINATE for 1 s); beyond it,
#     INDETERMINATE/TIMESTAMP_ORDER_FAILURE.
v sig-timestamp-skew1 skew1.asice 0 'TOTAL-PASSED'
v sig-timestamp-skew30 skew30.asice 2 'INDETERMINATE/TIMESTAMP_ORDER_FAILURE'
j sig-timestamp "level T, POE from the timestamp" \
	'r["signatures"][0]["level"]=="CAdES-BASELINE-T" and r["signatures"][0]["best_signature_time_source"]=="timestamp"'

# 10. A content-timestamp (signed attribute id-aa-ets-contentTimestamp, EN
#     319 122-1 5.2.8) instead of a signature timestamp, as in DSS's
#     onefile-ok.asice: not a POE of the signature (DSS: CONTENT_TIMESTAMP,
#     not counted for T level). The signature itself is valid.
v content-timestamp cts.asice 0 'TOTAL-PASSED' --format json
j content-timestamp "level B, no signature timestamp" \
	'r["signatures"][0]["level"]=="CAdES-BASELINE-B" and r["signatures"][0]["timestamps"]==[]'

#     ... and with a signature timestamp: the content timestamp must not be
#     later than it (EN 319 102-1 timestamp coherence; found by review: a
#     content timestamp an hour after the signature timestamp passed, unread).
v content-timestamp-late ctlate.asice 2 'INDETERMINATE/TIMESTAMP_ORDER_FAILURE: the content timestamp .* is after the signature timestamp'
v content-timestamp-early ctearly.asice 0 'TOTAL-PASSED'

# 11. A counter-signature (unsigned attribute countersignature, RFC 5652
#     11.4) by a second signer. DSS (ASiCSWithCAdESCounterSignatureTest)
#     validates the counter-signature separately; the main signature's
#     result is unchanged. kho validates the main signature only.
v counter-signature counter.asice 0 'TOTAL-PASSED'

# 12. Long-term cases, same rules as kho's own packages (EN 319 102-1 5.6):
#     expired signer, no POE: INDETERMINATE/OUT_OF_BOUNDS_NO_POE (as
#     onefile-ok with good-ca in t0110); revoked signer without timestamp:
#     INDETERMINATE/REVOKED_NO_POE; with a timestamp made after the
#     revocation: TOTAL-FAILED/REVOKED.
v expired expired.asice 2 'INDETERMINATE/OUT_OF_BOUNDS_NO_POE'
v revoked revoked.asice 2 'INDETERMINATE/REVOKED_NO_POE'
v revoked-ts revokedts.asice 1 'TOTAL-FAILED/REVOKED'

# 13. Broken signature value: DSS SignatureIntact (FAIL) ->
#     TOTAL-FAILED/SIG_CRYPTO_FAILURE.
v sig-value-broken badsig.asice 1 'TOTAL-FAILED/SIG_CRYPTO_FAILURE'

# 14. A data object changed after signing: DSS ReferenceDataIntact on the
#     manifest entry -> TOTAL-FAILED/HASH_FAILURE (ASiCEBrokenReferenceTest).
v data-tampered tampered.asice 1 'TOTAL-FAILED/HASH_FAILURE'

# 15. The manifest changed after signing. KNOWN DIFFERENCE: DSS compares the
#     CMS message-digest attribute with the manifest first and answers
#     TOTAL-FAILED/HASH_FAILURE; issue 2 fixes SIG_CRYPTO_FAILURE for "the
#     manifest changed", which kho keeps. The main indication agrees.
v manifest-altered altered.asice 1 'TOTAL-FAILED/SIG_CRYPTO_FAILURE'

# 15b. Only a manifest whose bytes a signature verified (or a timestamp
#      validated) makes the objects it lists signed. A second, unsigned
#      manifest that names the same signature proves nothing: its forged
#      record.xml is not believed, its extra file is unsigned, and two
#      manifests for one signature are a format failure (EN 319 162-1
#      4.4.3: a signature signs one ASiCManifest). Before the fix: TOTAL-PASSED
#      with the forged result code.
v twin-manifest twin.asice 1 'TOTAL-FAILED/FORMAT_FAILURE' --format json
j twin-manifest "the forged record is not believed" 'r.get("record") is None'
j twin-manifest "record.xml and evil.pdf are unsigned" 'sorted(r["unsigned_objects"])==["evil.pdf","record.xml"]'
check_grep "twin-manifest: said why" 'both name META-INF/signature001.p7s as their signature' twin-manifest.json
# 15c. A record.xml no signed manifest covers, beside a signature that
#      passes: the package fails (kho's rule: the record is what the archive
#      files it under). The XML report carries that verdict in a standard
#      element too, a report for the container (found by review: its only
#      MainIndication was the signature's total-passed).
v unsigned-record-xml unsrec.asice 1 'TOTAL-FAILED/FORMAT_FAILURE: record.xml is not covered' --format xml
check "unsigned-record-xml: the signature's report passes" test "$(xmllint --xpath \
	'string(//*[local-name()="SignatureValidationReport"][1]//*[local-name()="MainIndication"])' \
	unsigned-record-xml.txt)" = "urn:etsi:019102:mainindication:total-passed"
check "unsigned-record-xml: a report for the container says total-failed" test "$(xmllint --xpath \
	'string(//*[local-name()="SignatureValidationReport"][.//*[local-name()="DAIdentifier"]="(container)"]//*[local-name()="MainIndication"])' \
	unsigned-record-xml.txt)" = "urn:etsi:019102:mainindication:total-failed"
#      An ASiCArchiveManifest whose token stamps other bytes: what it lists
#      beyond the signed manifest is unsigned.
v unstamped-archive unstamped.asice 0 'TOTAL-PASSED' --format json
j unstamped-archive "extra.pdf is unsigned" 'r["unsigned_objects"]==["extra.pdf"]'
#      An archive token signed with SHA-1: the signature stands, the token
#      gives no proof of existence, and the report says why.
v archive-timestamp-sha1 ltasha1.asice 0 'TOTAL-PASSED' --format json
j archive-timestamp-sha1 "not LTA" 'r["signatures"][0]["level"]!="CAdES-BASELINE-LTA"'
check_grep "archive-timestamp-sha1: said why" 'timestamp001.tst over META-INF/ASiCArchiveManifest.xml: not accepted: a broken algorithm' archive-timestamp-sha1.json

# 15c. Algorithm constraints reach the timestamp token's own signature and
#      the certificate chain (EN 319 102-1 5.2.8; found by review: both
#      were TOTAL-PASSED). A token signed with SHA-1 is no proof of existence
#      and fails the constraints; so does a chain through a CA certificate
#      signed with SHA-1 (its key RSA-1024).
v sig-timestamp-sha1 tsasha1.asice 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE'
check_grep "sig-timestamp-sha1: said why" 'a token signed with SHA1' sig-timestamp-sha1.txt
check_exit "sha1-intermediate: exit 2" 2 "$KHO" verify --trust w-root.pem sha1chain.asice
check_grep "sha1-intermediate: CRYPTO_CONSTRAINTS_FAILURE" '^kho verify: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE' check.err
check_grep "sha1-intermediate: the CA certificate named" 'CN=W CA 1024: a certificate signed with SHA1' check.out
#      ... and the digest of the signing-certificate reference (ESSCertIDv2
#      hashAlgorithm SHA-1; found by review: TOTAL-PASSED). Written out as
#      SHA-256 it passes.
v ess-sha1 esssha1.asice 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE'
check_grep "ess-sha1: said why" \
	'the signing-certificate-v2 attribute identifies the signer certificate with the broken digest algorithm SHA1' ess-sha1.txt
v ess-sha256-explicit esssha256.asice 0 'TOTAL-PASSED'
#      ... and naming the root after the signer, the root not embedded
v ess-v2-path essv2path.asice 0 'TOTAL-PASSED'
#      The v1 signing-certificate attribute (ESSCertID, RFC 2634; EN 319
#      122-1 5.2.2.2: the reference when the certificate hash is SHA-1),
#      which DSS reads (found by review: kho looked for v2 only and answered
#      NO_SIGNING_CERTIFICATE_FOUND "the signing-certificate-v2 attribute is
#      absent"). It is read and checked like v2; its SHA-1 is under the
#      algorithm constraints as an ESSCertIDv2 with SHA-1 is (decision,
#      docs/verification.md section 2; DSS's default policy only warns).
#      Right, under a SHA-256 signature: the binding holds, the constraint fails.
v ess-v1 essv1.asice 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE'
check_grep "ess-v1: said why" \
	'the signing-certificate attribute \(v1, ESSCertID\) identifies the signer certificate with the broken digest algorithm SHA1' ess-v1.txt
check_nogrep "ess-v1: the binding held" 'does not identify the signer|is present \(EN 319 122-1' ess-v1.txt
#      One bit of its hash flipped: as a v2 mismatch, NO_SIGNING_CERTIFICATE_FOUND
#      (which precedes the constraint failure, section 3).
v ess-v1-wrong essv1bad.asice 2 'INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND'
check_grep "ess-v1-wrong: said why" 'signing-certificate \(v1\) does not identify the signer certificate' ess-v1-wrong.txt
#      openssl cms -sign -cades -md sha1: a SHA-1 signature with the v1
#      attribute (checked below with asn1parse): a constraint failure, not a
#      missing signing certificate.
unzip -o -q -d essv1sha1x essv1sha1.asice
openssl cms -cmsout -print -inform DER -in essv1sha1x/META-INF/signature001.p7s >essv1sha1.print 2>&1
check_grep "ess-v1-sha1-sig: openssl wrote the v1 attribute" 'id-smime-aa-signingCertificate \(1\.2\.840\.113549\.1\.9\.16\.2\.12\)' essv1sha1.print
check_nogrep "ess-v1-sha1-sig: and no v2" 'signingCertificateV2' essv1sha1.print
v ess-v1-sha1-sig essv1sha1.asice 2 'INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE'
check_grep "ess-v1-sha1-sig: the signature's digest named" 'the signature uses the broken digest algorithm SHA1' ess-v1-sha1-sig.txt
check_nogrep "ess-v1-sha1-sig: the binding held" 'does not identify the signer|is present \(EN 319 122-1' ess-v1-sha1-sig.txt
#      Both: signing-certificate-v2 governs; a wrong v1 beside a right v2 is
#      not read.
v ess-v1-beside-v2 essv1v2.asice 0 'TOTAL-PASSED'

# 15d. Chain sub-indications (EN 319 102-1 5.2.6): NO_CERTIFICATE_CHAIN_FOUND
#      only when no chain to an anchor can be built (the unrelated anchor
#      above); a chain that is built but fails an RFC 5280 check is
#      INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE (found by review: every chain
#      failure was NO_CERTIFICATE_CHAIN_FOUND). The PKI is made here with
#      openssl; its control passes.
check_exit "chain-ok: exit 0" 0 "$KHO" verify --trust x-root.pem chain-ok.asice
check_grep "chain-ok: TOTAL-PASSED" '^kho verify: TOTAL-PASSED' check.err
check_exit "chain-ca-false: exit 2" 2 "$KHO" verify --trust x-root.pem chain-ca-false.asice
check_grep "chain-ca-false: CHAIN_CONSTRAINTS_FAILURE" '^kho verify: INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE' check.err
check_grep "chain-ca-false: said why" 'invalid CA certificate \(depth 1\)' check.out
check_exit "chain-critical-ext: exit 2" 2 "$KHO" verify --trust x-root.pem chain-critical-ext.asice
check_grep "chain-critical-ext: CHAIN_CONSTRAINTS_FAILURE" '^kho verify: INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE' check.err
check_grep "chain-critical-ext: said why" 'unhandled critical extension \(depth 0\)' check.out
#      ... and with an unrelated anchor the same signers have no chain.
check_exit "chain-ca-false, unrelated anchor: exit 2" 2 "$KHO" verify --trust unrelated.pem chain-ca-false.asice
check_grep "chain-ca-false, unrelated anchor: NO_CERTIFICATE_CHAIN_FOUND" \
	'^kho verify: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND' check.err

# 16. Two signatures, each with its own manifest (signature001/002,
#     ASiCManifest001/002; DSS ASiCETwoSignaturesInOneTimeTest): each is
#     validated on its own.
v two-signatures two.asice 0 'TOTAL-PASSED' --format json
j two-signatures "two signatures, both passed" \
	'[s["indication"] for s in r["signatures"]]==["TOTAL-PASSED","TOTAL-PASSED"]'
#     ... the second one's object broken: DSS gives the first TOTAL_PASSED and
#     the second TOTAL-FAILED/HASH_FAILURE; kho's package result is the worst.
v two-signatures-one-broken twobroken.asice 1 'TOTAL-FAILED/HASH_FAILURE' --format json
j two-signatures-one-broken "per signature: PASSED then HASH_FAILURE" \
	'[(s["indication"],s["sub_indication"]) for s in r["signatures"]]==[("TOTAL-PASSED",""),("TOTAL-FAILED","HASH_FAILURE")]'

# 17. An ASiC-E (by its mimetype) with a signature but no manifest at all:
#     DSS policy ManifestFilePresent (FAIL) -> TOTAL-FAILED/FORMAT_FAILURE.
v no-manifest nomanifest.asice 1 'TOTAL-FAILED/FORMAT_FAILURE'

# 18. A manifest with no DataObjectReference. KNOWN DIFFERENCE: DSS parses it
#     (ASiCENonConformantManifestTest: no entries, no original documents) and
#     no FAIL-level rule of its default policy applies, so DSS would not fail
#     the signature (by reading the policy; the DSS test asserts no
#     indication). The ASiCManifest schema (EN 319 162-1 annex A) requires at
#     least one DataObjectReference, and a signature that covers nothing must
#     not pass in an archive: kho answers TOTAL-FAILED/FORMAT_FAILURE.
v empty-manifest emptymf.asice 1 'TOTAL-FAILED/FORMAT_FAILURE'

# 19. ASiC-S media type but two data objects at the root: DSS policy
#     SignedFilesPresent (ASiC-S: exactly one root-level file) ->
#     TOTAL-FAILED/FORMAT_FAILURE.
v asics-two-files two.asics 1 'TOTAL-FAILED/FORMAT_FAILURE'

# 20. B-LTA: ASiCArchiveManifest.xml + timestamp001.tst over it (DSS1421Test,
#     DSS1809Test): the signature is valid, the archive timestamp intact.
v archive-timestamp lta.asice 0 'TOTAL-PASSED' --format json
j archive-timestamp "level LTA, container timestamp intact" \
	'r["signatures"][0]["level"]=="CAdES-BASELINE-LTA" and len(r["timestamps"])==1 and r["timestamps"][0]["imprint_ok"] and r["timestamps"][0]["signature_ok"]'
#     ... with a claimed signing-time an hour after the container timestamp
#     (no signature timestamp): the container timestamp is the POE, and a
#     signature cannot be made after a timestamp that covers it (found by
#     review: TOTAL-PASSED, only a signature timestamp was compared).
v lta-late-signing-time ltalate.asice 2 'INDETERMINATE/TIMESTAMP_ORDER_FAILURE'
check_grep "lta-late-signing-time: said why" \
	'the claimed signing time .* is after the container timestamp META-INF/timestamp001.tst, which proves the signature existed at' \
	lta-late-signing-time.txt

# 21. Timestamp only (META-INF/timestamp.tst over an ASiCManifest, no
#     signature), and a ZIP with no signature: DSS answers
#     NO_SIGNATURE_FOUND (ASiCENoMimeTypeContentTest,
#     ASiCWithCAdESNoSignatureZipValidationTest), a DSS indication outside
#     EN 319 102-1; kho's documented equivalent (docs/verification.md 1.7)
#     is TOTAL-FAILED/FORMAT_FAILURE. The timestamp itself is checked.
v timestamp-only tstonly.asice 1 'TOTAL-FAILED/FORMAT_FAILURE: no signature' --format json
j timestamp-only "the timestamp is listed and intact" \
	'len(r["timestamps"])==1 and r["timestamps"][0]["imprint_ok"] and r["timestamps"][0]["signature_ok"]'
v no-signature plain.zip 1 'TOTAL-FAILED/FORMAT_FAILURE: no signature'

# 21b. What kho refuses by design (DELIBERATE DIFFERENCES; DSS may read
#      them): an attached CAdES signature (eContent present; formats.md:
#      the signature is detached over the manifest's exact bytes), and a
#      manifest that references the same object twice.
v attached attached.asice 1 'TOTAL-FAILED/FORMAT_FAILURE: .*not detached'
v duplicate-reference dupref.asice 1 'TOTAL-FAILED/FORMAT_FAILURE: .*referenced twice'

# 22. An ASiC-E with XAdES (META-INF/signatures0.xml) given to kho, which
#     validates CAdES only. DSS's CAdES validator refuses the document
#     ("Document format not recognized/handled",
#     ASiCWithCAdESValidateASiCXAdESTest). EN 319 102-1 5.2.2: a signature
#     the validator cannot process is TOTAL-FAILED/FORMAT_FAILURE; never
#     PASSED, never a crash.
v xades xades.asice 1 'TOTAL-FAILED/FORMAT_FAILURE'

# Every container also opens with kho inspect (no crash on foreign input).
for f in *.asice *.asics *.zip; do
	check_exit "inspect $f" 0 "$KHO" inspect "$f"
done
finish
