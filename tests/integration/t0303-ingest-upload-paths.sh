# t0303-ingest-upload-paths.sh: the daemon takes a package upload two ways
# (server.c, UPLOAD_MEM_*): a small upload with a Content-Length is kept in
# memory and ingested from there (ingest_mem); a chunked upload, or one
# larger than 1 MiB, streams to a temporary file (ingest_file). Each way must
# store the same bytes (retrieved identical, id = SHA-256), refuse a
# tampered package with nothing stored, and leave no temporary file behind.
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/serve-lib.sh"
setup_pki
REC=$ROOT/testdata/records/ct01-certified-copy.xml
AG=000.31.20.H55
make_record "$REC" r1.xml 0301
make_record "$REC" r2.xml 0302
make_record "$REC" r3.xml 0303
seal_pkg r1.xml p1.asice
seal_pkg r2.xml p2.asice
head -c 1500000 /dev/urandom > big.pdf
seal_pkg r3.xml p3.asice big.pdf
check "the third package is over the 1 MiB kept in memory" test "$(stat -c %s p3.asice)" -gt 1048576
# A tampered copy of p2 (one byte of the signed PDF changed; the ZIP is
# stored, so the PDF bytes are in the clear).
cp p2.asice bad.asice
off=$(grep -abo '% ket qua' bad.asice | head -n1 | cut -d: -f1)
printf 'X' | dd of=bad.asice bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null

OFF=$(token counter1 officer $AG)
start_daemon data --trust pki/trust.pem
CT='Content-Type: application/vnd.etsi.asic-e+zip'

st=$(http POST /v1/packages "$OFF" --data-binary @bad.asice -H "$CT")
check_status "a tampered package with a Content-Length (memory): 422" 422 "$st"
st=$(http POST /v1/packages "$OFF" --data-binary @bad.asice -H "$CT" -H 'Transfer-Encoding: chunked')
check_status "the same, chunked (temporary file): 422" 422 "$st"
check "nothing stored for the tampered package" test "$(find data/store -name '*.enc' | wc -l)" = 0

st=$(http POST /v1/packages "$OFF" --data-binary @p1.asice -H "$CT")
check_status "a small package with a Content-Length (memory): 201" 201 "$st"
ID1=$(json_id body.out)
st=$(http POST /v1/packages "$OFF" --data-binary @p2.asice -H "$CT" -H 'Transfer-Encoding: chunked')
check_status "a chunked upload (temporary file): 201" 201 "$st"
ID2=$(json_id body.out)
st=$(http POST /v1/packages "$OFF" --data-binary @p3.asice -H "$CT")
check_status "a package over 1 MiB (temporary file): 201" 201 "$st"
ID3=$(json_id body.out)
i=0
for p in p1 p2 p3; do
	i=$((i + 1))
	eval id=\$ID$i
	check "$p: the id is the SHA-256 of the bytes" test "$id" = "$(sha256sum $p.asice | cut -d' ' -f1)"
	st=$(http GET /v1/packages/$id "$OFF")
	check_status "$p: retrieval 200" 200 "$st"
	check "$p: the retrieved bytes are identical" cmp body.out $p.asice
done
st=$(http POST /v1/packages "$OFF" --data-binary @p2.asice -H "$CT")
check_status "the chunked package again, now from memory: 200 (same bytes)" 200 "$st"
check "... with the same id" test "$(json_id body.out)" = "$ID2"
check "no temporary upload file is left" test "$(ls data/tmp | wc -l)" = 0
stop_daemon
finish
