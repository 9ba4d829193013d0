#!/bin/sh
# embed.sh FILE NAME: print a C source that holds FILE's bytes as
# `const unsigned char NAME[]` and `const size_t NAME_len`, so that schemas
# are part of the binary and validation never reads files at run time.
set -eu
file=$1 name=$2
printf '/* Generated from %s by tools/embed.sh. Do not edit. */\n#include <stddef.h>\n' "$file"
printf 'const unsigned char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\nconst size_t %s_len = sizeof(%s) - 1;\n' "$name" "$name"
