#!/usr/bin/env python3
"""make-hostile.py: regenerate the hostile inputs of testdata/hostile/.

Python 3 standard library only. Run from anywhere:
    python3 testdata/hostile/make-hostile.py
The outputs are committed (they are small); this script documents exactly how
each was made. Every ZIP starts with a conformant `mimetype` entry so that the
reader gets past the container check and meets the hostile part. See README.md
for what each file is and what the reader must answer.
"""
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MIMETYPE = b"application/vnd.etsi.asic-e+zip"
DATE = (2025, 3, 14, 8, 30, 0)


def info(name, compress=zipfile.ZIP_DEFLATED, unix_mode=0o100644):
    zi = zipfile.ZipInfo(name, DATE)
    zi.compress_type = compress
    zi.create_system = 3  # UNIX, so that external_attr carries a mode
    zi.external_attr = unix_mode << 16
    return zi


def asic(path, entries):
    """Write a ZIP: mimetype first and stored, then (ZipInfo or name, bytes) pairs."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info("mimetype", zipfile.ZIP_STORED), MIMETYPE)
        for name, data in entries:
            zi = name if isinstance(name, zipfile.ZipInfo) else info(name)
            z.writestr(zi, data)


def out(name):
    return os.path.join(HERE, name)


def patch_all(path, old, new):
    """Replace every occurrence of old by new (same length) in the file."""
    assert len(old) == len(new)
    data = open(path, "rb").read()
    assert old in data
    open(path, "wb").write(data.replace(old, new))


# ZipCrypto (APPNOTE 6.1): the traditional PKWARE stream cipher, small enough
# to write here, so that encrypted.zip is a genuinely encrypted entry.
def _crc_byte(crc, b):
    return (~zlib.crc32(bytes([b]), ~crc & 0xFFFFFFFF)) & 0xFFFFFFFF


class ZipCrypto:
    def __init__(self, password):
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    def _update(self, b):
        k = self.k
        k[0] = _crc_byte(k[0], b)
        k[1] = (k[1] + (k[0] & 0xFF)) & 0xFFFFFFFF
        k[1] = (k[1] * 134775813 + 1) & 0xFFFFFFFF
        k[2] = _crc_byte(k[2], (k[1] >> 24) & 0xFF)

    def encrypt(self, data):
        res = bytearray()
        for b in data:
            t = (self.k[2] | 2) & 0xFFFF
            res.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(b)
        return bytes(res)


def encrypted_zip(path):
    """One STORED entry secret.txt, ZipCrypto-encrypted with password 'kho'."""
    plain = b"ma ket qua: 000.00.20.H30-250314-0007-KQ1\n"
    crc = zlib.crc32(plain) & 0xFFFFFFFF
    hdr12 = bytes(11) + bytes([crc >> 24])  # APPNOTE 6.1.6: last byte = CRC high byte
    zc = ZipCrypto(b"kho")
    body = zc.encrypt(hdr12 + plain)
    dostime = (8 << 11) | (30 << 5)
    dosdate = ((2025 - 1980) << 9) | (3 << 5) | 14
    mt = MIMETYPE
    mcrc = zlib.crc32(mt) & 0xFFFFFFFF
    name1, name2 = b"mimetype", b"secret.txt"
    lh1 = struct.pack("<IHHHHHIIIHH", 0x04034B50, 10, 0, 0, dostime, dosdate, mcrc,
                      len(mt), len(mt), len(name1), 0) + name1 + mt
    off2 = len(lh1)
    lh2 = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, dostime, dosdate, crc,
                      len(body), len(plain), len(name2), 0) + name2 + body
    cd1 = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 10, 0, 0, dostime, dosdate,
                      mcrc, len(mt), len(mt), len(name1), 0, 0, 0, 0, 0o100644 << 16, 0) + name1
    cd2 = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, 1, 0, dostime, dosdate,
                      crc, len(body), len(plain), len(name2), 0, 0, 0, 0, 0o100644 << 16,
                      off2) + name2
    cd = cd1 + cd2
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(cd), off2 + len(lh2), 0)
    open(path, "wb").write(lh1 + lh2 + cd + eocd)


def bomb_zip(path, size=200 * 1024 * 1024):
    """200 MiB of zeros deflated at level 9 (about 200 KiB), streamed to disk."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(info("mimetype", zipfile.ZIP_STORED), MIMETYPE)
        zi = info("zeros.bin")
        chunk = bytes(1 << 20)
        with z.open(zi, "w", force_zip64=False) as f:
            for _ in range(size // len(chunk)):
                f.write(chunk)


def main():
    good = [("ketqua.pdf", b"%PDF-1.7\n% kho test\n"),
            ("record.xml", b"<record/>\n")]

    asic(out("dotdot.zip"), good + [("../../etc/kho-evil.txt", b"escaped\n")])
    asic(out("absolute.zip"), good + [("/tmp/kho-evil.txt", b"absolute\n")])
    asic(out("backslash.zip"), good + [("..\\..\\kho-evil.txt", b"windows\n")])

    # zipfile warns about the duplicate name but writes it: that is the point.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asic(out("duplicate.zip"), good + [("ketqua.pdf", b"%PDF-1.7\n% the other one\n")])

    # "Nguyễn Văn An.pdf": precomposed (NFC) and decomposed (NFD) forms.
    import unicodedata
    name = "Nguyễn Văn An.pdf"
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    assert nfc != nfd and nfc.encode() != nfd.encode()
    asic(out("duplicate-nfc-nfd.zip"), [(nfc, b"%PDF-1.7\n% one\n"), (nfd, b"%PDF-1.7\n% two\n")])
    # "á.pdf" precomposed, and a + U+0341 (the acute tone mark's singleton
    # code point, canonically U+0301): a forged twin a hand-made table missed.
    asic(out("duplicate-nfc-0341.zip"), [("\u00e1.pdf", b"%PDF-1.7\n% signed\n"),
                                         ("a\u0341.pdf", b"%PDF-1.7\n% forged\n")])

    asic(out("symlink.zip"), good + [(info("link-to-passwd", unix_mode=0o120777), b"/etc/passwd")])
    asic(out("fifo.zip"), good + [(info("pipe", zipfile.ZIP_STORED, unix_mode=0o010644), b"")])
    asic(out("dir-with-data.zip"), good + [(info("docs/", zipfile.ZIP_STORED,
                                                 unix_mode=0o040755), b"data in a directory")])

    # A NUL inside a name: written as "evil.txtXsafe.pdf", then X patched to NUL.
    asic(out("nul-name.zip"), good + [("evil.txtXsafe.pdf", b"nul\n")])
    patch_all(out("nul-name.zip"), b"evil.txtXsafe.pdf", b"evil.txt\0safe.pdf")

    bomb_zip(out("bomb.zip"))

    # Truncated: a valid package cut at 60% (the central directory is gone).
    asic(out("full.tmp"), good + [("scan.txt", bytes(range(256)) * 64)])
    data = open(out("full.tmp"), "rb").read()
    open(out("truncated.zip"), "wb").write(data[: len(data) * 6 // 10])
    os.remove(out("full.tmp"))

    # The sizes in both headers say 10 bytes; the data inflates to 4096.
    asic(out("lying-size.zip"), good + [("scan.txt", b"A" * 4096)])
    patch_all(out("lying-size.zip"), struct.pack("<I", 4096), struct.pack("<I", 10))

    open(out("not-a-zip.bin"), "wb").write(b"This is not a ZIP archive, just text.\n" * 4)
    open(out("empty.zip"), "wb").write(b"")

    encrypted_zip(out("encrypted.zip"))

    # A manifest over 4 MiB (spaces in a comment), deflated to a few KiB.
    big = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!--' + b" " * (5 * 1024 * 1024) +
           b'-->\n<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#"/>\n')
    asic(out("manifest-oversized.zip"), good + [("META-INF/ASiCManifest.xml", big)])
    # The same document alone, zlib-compressed (RFC 1950) so that it stays small.
    with open(out("manifest-oversized.xml.zlib"), "wb") as f:
        f.write(zlib.compress(big, 9))

    ns = 'xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
    body = ('<asic:ASiCManifest %s>\n'
            '  <asic:SigReference URI="META-INF/signature001.p7s" MimeType="application/pkcs7-signature"/>\n'
            '  <asic:DataObjectReference URI="ketqua.pdf" MimeType="application/pdf">\n'
            '    <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>\n'
            '    <ds:DigestValue>%s</ds:DigestValue>\n'
            '  </asic:DataObjectReference>\n'
            '</asic:ASiCManifest>\n')
    digest = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    xxe = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<!DOCTYPE asic:ASiCManifest [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
           + body % (ns, "&xxe;"))
    open(out("manifest-xxe.xml"), "w").write(xxe)
    laughs = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        laughs.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    billion = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE asic:ASiCManifest [\n  '
               + "\n  ".join(laughs) + "\n]>\n" + body % (ns, "&lol9;"))
    open(out("manifest-billion-laughs.xml"), "w").write(billion)
    wrong = body % ('xmlns:asic="http://uri.etsi.org/02918/v1.1.1#" '
                    'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', digest)
    open(out("manifest-wrong-ns.xml"), "w").write('<?xml version="1.0" encoding="UTF-8"?>\n' + wrong)
    # A DOCTYPE hidden from a byte scan: the document is UTF-16.
    open(out("manifest-xxe-utf16.xml"), "wb").write(xxe.replace('encoding="UTF-8"',
                                                                'encoding="UTF-16"').encode("utf-16"))
    # The same attacks inside packages.
    asic(out("manifest-xxe.zip"), good + [("META-INF/ASiCManifest.xml", xxe.encode())])
    # A declared encoding its bytes break (UTF-8 "ộ" under ISO-2022-JP):
    # libxml2's converter printed raw "encoding error" lines to stderr,
    # whatever the parse options (found by fuzzing, 2026-12-07).
    enc = ('<?xml version="1.0" encoding="ISO-2022-JP"?>\n<!-- \u1ed9 -->\n'
           + body % (ns, digest))
    asic(out("manifest-bad-encoding.zip"), good + [("META-INF/ASiCManifest.xml",
                                                     enc.encode("utf-8"))])


if __name__ == "__main__":
    main()
