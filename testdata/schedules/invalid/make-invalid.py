#!/usr/bin/env python3
"""make-invalid.py: derive the invalid schedules of this directory from
../province-2025.xml, each with exactly one defect. Every output carries, on
its second line, the line and text that the loader must report:
    <!-- expect-line: N expect-text: TEXT -->
tests/unit/test_schedule.c reads that comment and checks the refusal.
Run from anywhere: python3 make-invalid.py (stdlib only)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = open(os.path.join(HERE, "..", "province-2025.xml"), encoding="utf-8").read()
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
assert BASE.startswith(DECL)
BODY = BASE[len(DECL):]


def in_class(text, code, old, new):
    """Replace old by new inside the class with this code only."""
    a = text.index('<class code="%s"' % code)
    b = text.index("</class>", a)
    assert old in text[a:b], (code, old)
    return text[:a] + text[a:b].replace(old, new, 1) + text[b:]


def line_of(text, needle, nth=1):
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


CASES = []


def case(name, expect_text, body, needle, nth=1, prolog=""):
    CASES.append((name, expect_text, body, needle, nth, prolog))


case("unknown-action", "is not an element of the set",
     in_class(BODY, "CT.01", "<action>destroy</action>", "<action>shred</action>"),
     "<action>shred</action>")
case("duplicate-code", 'duplicate class code "CT.01"',
     BODY.replace('<class code="GEN.01">', '<class code="CT.01">'),
     '<class code="CT.01">', 2)
case("missing-period", "Expected is ( {urn:kho:schedule:1}period )",
     in_class(BODY, "CT.01", "      <period><years>5</years></period>\n", ""),
     "<trigger>dossier-closed</trigger>", 3)
case("ambiguous-match", "ambiguous match: procedure 2.000815",
     BODY.replace("<covers/>", "<covers><procedure>2.000815</procedure></covers>"),
     "<covers><procedure>2.000815</procedure></covers>")
case("malformed", "Opening and ending tag mismatch",
     in_class(BODY, "CT.01", "</title>", "</titel>"),
     "</titel>")
case("xxe", "DOCTYPE not allowed",
     in_class(BODY, "CT.01", "<title>Chứng thực bản sao từ bản chính</title>",
              "<title>&xxe;</title>"),
     "<!DOCTYPE", 1,
     '<!DOCTYPE schedule [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n')
case("billion-laughs", "DOCTYPE not allowed",
     in_class(BODY, "CT.01", "<title>Chứng thực bản sao từ bản chính</title>",
              "<title>&lol4;</title>"),
     "<!DOCTYPE", 1,
     '<!DOCTYPE schedule [\n  <!ENTITY lol "lol">\n'
     '  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
     '  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
     '  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
     '  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n]>\n')
case("two-fallbacks", "second fallback class",
     BODY.replace('<class code="GEN.01">', '<class code="GEN.01" fallback="true">'),
     '<class code="GEN.99" fallback="true">')
case("no-fallback", "no fallback class",
     BODY.replace('<class code="GEN.99" fallback="true">', '<class code="GEN.99">')
         .replace("<covers/>", "<covers><resultType>other</resultType></covers>"),
     "<classes>")
case("event-without-name", "needs an event=",
     in_class(BODY, "HKD.01", "<trigger>revoked</trigger>", "<trigger>external-event</trigger>"),
     "<trigger>external-event</trigger>")
case("permanent-destroy", "a permanent class cannot have action destroy",
     in_class(BODY, "HT.03", "<action>retain</action>", "<action>destroy</action>"),
     "<action>destroy</action>", 1)
case("years-without-trigger", "a period in years needs at least one <trigger>",
     in_class(BODY, "CT.01", "      <trigger>dossier-closed</trigger>\n", ""),
     "<period><years>5</years></period>", 1)
case("bad-date", "2025-02-30: not a real date",
     BODY.replace("<effective>2025-02-01</effective>", "<effective>2025-02-30</effective>"),
     "<effective>")
case("wrong-namespace", "the root element must be <schedule> in namespace urn:kho:schedule:1",
     BODY.replace('xmlns="urn:kho:schedule:1"', 'xmlns="urn:kho:schedule:2"'),
     "<schedule ")
case("unknown-element", "This element is not expected",
     in_class(BODY, "CT.01", "<action>destroy</action>",
              "<action>destroy</action>\n      <note>tạm</note>"),
     "<note>")
case("duplicate-procedure", "procedure 2.000815 listed twice in class CT.01",
     in_class(BODY, "CT.01", "<procedure>2.000815</procedure>",
              "<procedure>2.000815</procedure>\n        <procedure>2.000815</procedure>"),
     "<procedure>2.000815</procedure>", 2)

for name, text, body, needle, nth, prolog in CASES:
    head = DECL + "<!-- expect-line: %s expect-text: " + text + " -->\n"
    draft = (head % "0") + prolog + body
    line = line_of(draft, needle, nth)
    out = (head % line) + prolog + body
    assert line_of(out, needle, nth) == line
    with open(os.path.join(HERE, name + ".xml"), "w", encoding="utf-8") as f:
        f.write(out)
print("%d invalid schedules written" % len(CASES))
