package resp

// Kinds are the bytes that start each RESP value on the wire. The Writer's
// Defer takes KindArray, KindMap or KindSet; a Scanner reports every kind
// in Value.Kind.
const (
	KindSimple    = '+' // simple string: +OK
	KindError     = '-' // error: -ERR text
	KindInt       = ':' // integer: :42
	KindBulk      = '$' // bulk string: $2 OK; $-1 is RESP2's null
	KindArray     = '*' // array: *2 and its elements; *-1 is RESP2's null
	KindNull      = '_' // RESP3 null
	KindDouble    = ',' // RESP3 double: ,1.5
	KindBool      = '#' // RESP3 boolean: #t or #f
	KindBigNumber = '(' // RESP3 big number: (12345678901234567890
	KindBulkError = '!' // RESP3 bulk error: !7 ERR foo
	KindVerbatim  = '=' // RESP3 verbatim string: =7 txt:foo
	KindMap       = '%' // RESP3 map: %1 and a key and a value
	KindSet       = '~' // RESP3 set: ~2 and its elements
	KindPush      = '>' // RESP3 push: >2 and its elements
	KindAttribute = '|' // RESP3 attribute: |1 and a key and a value, then the value they describe
)
