package layout

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// ParquetExtension and ParquetContentType name Parquet batch objects; the compression is inside the file.
const (
	ParquetExtension   = ".parquet"
	ParquetContentType = "application/vnd.apache.parquet"
)

// Parquet turns records into the rows of a Parquet file whose columns are a schema's (schema.Column), and writes
// files of them. Every column is optional; a struct is a group, an array a LIST, a date-time a
// TIMESTAMP(MICROS, UTC). A Parquet is not safe for concurrent use.
type Parquet struct {
	root    *node
	cols    []schema.Column
	schema  *parquet.Schema
	columns int               // leaf columns
	scratch [][]parquet.Value // the values of each column of the row being made
	arena   []parquet.Value   // where rows are made
	codec   compress.Codec
	strings uint64                           // the string columns among the first 64: those a file may write plain
	configs map[uint64]*parquet.WriterConfig // by the string columns they write plain
	sample  []map[string]struct{}            // by column: the distinct strings of the sample (plainColumns)
}

// node is a column in the Dremel encoding: where its values go and at which levels.
type node struct {
	name   string
	typ    colType
	fields []*node        // struct
	index  map[string]int // struct: the position in fields of each column but _extra
	hints  []int          // struct: for each member position, 1 + the field the member there had last time (0: none)
	extra  int            // struct: the position of _extra in fields
	elem   *node          // array
	rep    int            // repetition level of the array's elements (arrays only)
	first  int            // first leaf column at or under the node
	end    int            // one past the last
}

// NewParquet returns a Parquet for the root columns cols (schema.Schema.Columns), compressing pages with
// compression: zstd, gzip, snappy or none.
func NewParquet(cols []schema.Column, compression string) (*Parquet, error) {
	codec, err := parquetCodec(compression)
	if err != nil {
		return nil, err
	}
	p := &Parquet{cols: cols, codec: codec, configs: map[uint64]*parquet.WriterConfig{}}
	p.root, p.columns = build(schema.Column{Type: schema.Struct, Fields: cols}, 0, 0)
	p.scratch = make([][]parquet.Value, p.columns)
	p.sample = make([]map[string]struct{}, p.columns)
	p.schema = parquetSchema(cols, 0)
	for i, leaf := range p.schema.Columns() {
		if n, _ := p.schema.Lookup(leaf...); i < 64 && n.Node.Type().Kind() == parquet.ByteArray {
			p.strings |= 1 << i
		}
	}
	if _, err := p.config(0); err != nil { // fail now rather than at the first file
		return nil, err
	}
	return p, nil
}

// maxConfigs is the most writer configurations a Parquet keeps: a stream's files mostly choose alike, and one whose
// choices keep changing is not to grow it without end.
const maxConfigs = 8

// config is the configuration of the writers of files whose string columns are dictionary-encoded but those in
// plain.
func (p *Parquet) config(plain uint64) (*parquet.WriterConfig, error) {
	if c, ok := p.configs[plain]; ok {
		return c, nil
	}
	s := p.schema
	if plain != 0 {
		s = parquetSchema(p.cols, plain)
	}
	// Version 1 data pages: the ones every reader (Athena, Spark, Redshift Spectrum, DuckDB) reads. A string column
	// is dictionary-encoded where its values repeat (types, pages, countries), which makes it smaller; plain where
	// they are mostly distinct (identifiers: plainColumns), which makes it as small for far less work. A dictionary
	// that outgrows 1 MiB goes on in plain pages. Pages carry no statistics of their own: the column index and the
	// column chunk's statistics, which query engines prune by, have the same bounds, and computing each page's
	// bounds twice cost a twentieth of writing the file. (Bounds too long for the footer: dropLongBounds.)
	opts := []parquet.WriterOption{s, parquet.Compression(p.codec), parquet.DataPageVersion(1),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary), parquet.DictionaryMaxBytes(1 << 20),
		parquet.CreatedBy("kinesis2s3", "", "")}
	for _, path := range s.Columns() {
		opts = append(opts, parquet.SkipPageStatistics(path...))
	}
	config, err := parquet.NewWriterConfig(opts...)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if len(p.configs) < maxConfigs {
		p.configs[plain] = config
	}
	return config, nil
}

func parquetCodec(compression string) (compress.Codec, error) {
	switch compression {
	case "zstd":
		// The fastest level, as for JSON Lines: the batch must fit in one core's budget.
		return newZstdCodec()
	case "gzip":
		return &gzip.Codec{Level: gzip.DefaultCompression}, nil
	case "snappy":
		return &snappy.Codec{}, nil
	case "none":
		return &uncompressed.Codec{}, nil
	}
	return nil, fmt.Errorf("unknown compression %q for parquet", compression)
}

// zstdCodec is parquet-go's zstd codec (which it still is for decoding) with an encoder of its own. The library's
// codec takes its encoders from a sync.Pool, which a garbage collection empties, and each new encoder allocates its
// window again: most files paid for one. The options are the library's, but for a window of 1 MiB rather than 8:
// pages rarely pass 256 KiB, and the window is memory the encoder keeps.
type zstdCodec struct {
	zstd.Codec
	enc *kzstd.Encoder
}

func newZstdCodec() (*zstdCodec, error) {
	enc, err := kzstd.NewWriter(nil, kzstd.WithEncoderConcurrency(1), kzstd.WithEncoderLevel(kzstd.SpeedFastest),
		kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false), kzstd.WithWindowSize(1<<20))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return &zstdCodec{Codec: zstd.Codec{Level: zstd.SpeedFastest}, enc: enc}, nil
}

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	return c.enc.EncodeAll(src, dst[:0]), nil
}

// Schema is the Parquet schema of the files.
func (p *Parquet) Schema() *parquet.Schema { return p.schema }

// parquetSchema is the Parquet schema of the root columns cols, with PLAIN encoding for the string columns in plain
// (bit i: leaf column i).
func parquetSchema(cols []schema.Column, plain uint64) *parquet.Schema {
	group, leaf := parquet.Group{}, 0
	for _, c := range cols {
		group[c.Name] = parquetNode(c, plain, &leaf)
	}
	return parquet.NewSchema("record", group)
}

// parquetNode is the Parquet type of a column whose first leaf column is *leaf, which it advances past its own.
// Groups sort their fields by name, as schema.Column lists them, so leaves are numbered in the order of Fields.
func parquetNode(c schema.Column, plain uint64, leaf *int) parquet.Node {
	var n parquet.Node
	switch c.Type {
	case schema.String:
		n = parquet.String()
		if *leaf < 64 && plain&(1<<*leaf) != 0 {
			n = parquet.Encoded(n, &parquet.Plain)
		}
	case schema.Bigint:
		n = parquet.Leaf(parquet.Int64Type)
	case schema.Double:
		n = parquet.Leaf(parquet.DoubleType)
	case schema.Boolean:
		n = parquet.Leaf(parquet.BooleanType)
	case schema.Timestamp:
		n = parquet.Timestamp(parquet.Microsecond)
	case schema.Struct:
		g := parquet.Group{}
		for _, f := range c.Fields {
			g[f.Name] = parquetNode(f, plain, leaf)
		}
		return parquet.Optional(g)
	case schema.Array:
		return parquet.Optional(parquet.List(parquetNode(*c.Elem, plain, leaf)))
	}
	*leaf++
	return parquet.Optional(n)
}

// build makes the node of column c, whose leaves start at column first and whose elements (if an array) repeat
// at level rep+1. It returns the node and the next free column.
func build(c schema.Column, first, rep int) (*node, int) {
	n := &node{name: c.Name, typ: typeOf[c.Type], first: first}
	next := first
	switch n.typ {
	case tStruct:
		n.index = map[string]int{}
		for i, f := range c.Fields {
			var child *node
			child, next = build(f, next, rep)
			n.fields = append(n.fields, child)
			if f.Name == schema.ExtraColumn {
				n.extra = i
			} else {
				n.index[f.Name] = i
			}
		}
	case tArray:
		n.rep = rep + 1
		n.elem, next = build(*c.Elem, next, rep+1)
	default:
		next++
	}
	n.end = next
	return n, next
}

// Row converts a record into a row. A record that the columns cannot hold exactly — a value of another type than
// its column's, an integer beyond 64 bits, a date-time Go cannot parse — is an error naming where it is: the
// record must be quarantined rather than changed. Strings in the row share memory with the record; later calls
// leave the row as it is.
func (p *Parquet) Row(record jsonvalue.Value) (parquet.Row, error) { return p.row(record, inPlace) }

// The ways row makes a row, each trying the ones after it when it declines (tests compare them).
const (
	inPlace   = iota // fast, writing each column's value in its place in the row: rows with one value in each column
	lists            // fast, appending each column's values to a list of their own, then copying the lists to the row
	shredOnly        // shred
)

// row is Row, starting from the way first.
func (p *Parquet) row(record jsonvalue.Value, first int) (parquet.Row, error) {
	if record.Kind() != jsonvalue.Object {
		return nil, fmt.Errorf("parquet: /: got %s, want an object", kind(record))
	}
	if first == inPlace {
		p.reserve(p.columns)
		row := p.arena[len(p.arena) : len(p.arena)+p.columns : len(p.arena)+p.columns]
		// The root is required, not optional like every column: its own level is one below the columns'.
		if p.root.fast(sink{row: row}, record, 0, -1) {
			p.arena = p.arena[:len(p.arena)+p.columns]
			return row, nil
		}
		clear(row) // what it holds points into the record
	}
	cols := sink{cols: p.scratch}
	clearColumns(cols.cols)
	if first == shredOnly || !p.root.fast(cols, record, 0, -1) {
		// The fast path declined: shred decides, and words the error if there is one.
		clearColumns(cols.cols)
		if err := p.root.shred(cols, record, 0, -1); err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
	}
	n := 0
	for _, c := range cols.cols {
		n += len(c)
	}
	p.reserve(n)
	// The columns' values in order, as parquet.AppendRow copies them but without its check of every value's column,
	// which the columns hold by construction (the tests read the files back).
	row := p.arena[len(p.arena) : len(p.arena)+n : len(p.arena)+n]
	at := 0
	for _, c := range cols.cols {
		at += copy(row[at:], c)
	}
	p.arena = p.arena[:len(p.arena)+n]
	return row, nil
}

// reserve makes room in the arena for a row of n values: rows are slices of a few large allocations rather than one
// each.
func (p *Parquet) reserve(n int) {
	if len(p.arena)+n > cap(p.arena) {
		p.arena = make([]parquet.Value, 0, max(n, 1<<14))
	}
}

// sink is where a row's values go: with row, each column's in its place there (the row has one value in each column);
// otherwise appended to the column's list in cols.
type sink struct {
	row  []parquet.Value
	cols [][]parquet.Value
}

// put puts the value of column c at the given levels.
func (s sink) put(v parquet.Value, rep, def, c int) {
	// The levels are set where the value lands, with the setters the compiler inlines (Value.Level is a call).
	var at *parquet.Value
	if s.row != nil {
		at = &s.row[c]
	} else {
		s.cols[c] = append(s.cols[c], parquet.Value{})
		at = &s.cols[c][len(s.cols[c])-1]
	}
	*at = v
	at.SetRepetitionLevel(rep)
	at.SetDefinitionLevel(def)
	at.SetColumnIndex(c)
}

// Release drops what the Parquet holds of the rows it made: its arena, and the values of its last record, which
// point into the invocation's data. Call it before pooling the Parquet for another invocation, or one value of each
// would keep a whole event's data alive for as long as the arena lasts. Rows already made stay valid: each is a
// slice of its own.
func (p *Parquet) Release() {
	p.arena = nil
	for i, c := range p.scratch {
		clear(c[:cap(c)])
		p.scratch[i] = c[:0]
	}
}

// pathError is a conversion error and the JSON pointer to its value, built as the error returns.
type pathError struct {
	path []string // innermost last
	msg  string
}

func (e *pathError) Error() string {
	var b strings.Builder
	for _, t := range e.path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	if b.Len() == 0 {
		b.WriteByte('/')
	}
	return b.String() + ": " + e.msg
}

func within(err error, step string) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = append([]string{step}, pe.path...)
	}
	return err
}

// shred appends the values of v, the value of node n (null when missing), to the columns: at repetition level rep
// for the first, and definition level def for a null (def+1 when present).
func (n *node) shred(cols sink, v jsonvalue.Value, rep, def int) error {
	if v.Kind() == jsonvalue.Null {
		n.nulls(cols, rep, def)
		return nil
	}
	def++
	switch n.typ {
	case tStruct:
		if v.Kind() != jsonvalue.Object {
			return &pathError{msg: fmt.Sprintf("got %s, want an object", kind(v))}
		}
		// One pass over the members: each to its column (a repeated key's last value wins), the rest to _extra.
		var buf [16]jsonvalue.Value
		values := buf[:0]
		if len(n.fields) > len(buf) {
			values = make([]jsonvalue.Value, 0, len(n.fields))
		}
		values = values[:len(n.fields)]
		var extra []byte
		for i := range v.Len() {
			if f, ok := n.index[v.Key(i)]; ok {
				values[f] = v.Index(i)
			} else if !v.Shadowed(i) {
				extra = appendMember(extra, v, i)
			}
		}
		for i, f := range n.fields {
			if i == n.extra {
				f.extraLeaf(cols, extra, rep, def)
				continue
			}
			if err := f.shred(cols, values[i], rep, def); err != nil {
				return within(err, f.name)
			}
		}
		return nil
	case tArray:
		if v.Kind() != jsonvalue.Array {
			return &pathError{msg: fmt.Sprintf("got %s, want an array", kind(v))}
		}
		if v.Len() == 0 {
			n.elem.nulls(cols, rep, def) // present and empty: the repeated level is not defined
			return nil
		}
		for i := range v.Len() {
			if err := n.elem.shred(cols, v.Index(i), rep, def+1); err != nil {
				return within(err, strconv.Itoa(i))
			}
			rep = n.rep
		}
		return nil
	}
	value, err := convert(n.typ, v)
	if err != nil {
		return &pathError{msg: err.Error()}
	}
	n.leaf(cols, value, rep, def)
	return nil
}

// fast is shred for valid records, without shred's pass that puts a struct's members in the order of its fields:
// it puts each member's values as it meets it (each column's in its place, or in a list of its own), then nulls to
// the columns of the fields it did not meet. It reports false, leaving the sink in no particular state, where shred
// may differ or fails: a value the column cannot hold, a repeated key, a struct of more than 64 fields; and, putting
// values in place, an array of more than one element.
func (n *node) fast(cols sink, v jsonvalue.Value, rep, def int) bool {
	if v.Kind() == jsonvalue.Null {
		n.nulls(cols, rep, def)
		return true
	}
	def++
	switch n.typ {
	case tStruct:
		if v.Kind() != jsonvalue.Object || len(n.fields) > 64 {
			return false
		}
		var seen uint64 // the fields met
		var extra []byte
		for i := range v.Len() {
			f := n.field(i, v.Key(i))
			if f < 0 {
				if !v.Shadowed(i) {
					extra = appendMember(extra, v, i)
				}
				continue
			}
			if seen&(1<<f) != 0 || !n.fields[f].fast(cols, v.Index(i), rep, def) {
				return false
			}
			seen |= 1 << f
		}
		for f, child := range n.fields {
			switch {
			case f == n.extra:
				child.extraLeaf(cols, extra, rep, def)
			case seen&(1<<f) == 0:
				child.nulls(cols, rep, def)
			}
		}
		return true
	case tArray:
		if v.Kind() != jsonvalue.Array || v.Len() > 1 && cols.row != nil { // elements past the first: no place for them
			return false
		}
		if v.Len() == 0 {
			n.elem.nulls(cols, rep, def)
			return true
		}
		for i := range v.Len() {
			if !n.elem.fast(cols, v.Index(i), rep, def+1) {
				return false
			}
			rep = n.rep
		}
		return true
	}
	value, err := convert(n.typ, v)
	if err != nil {
		return false
	}
	n.leaf(cols, value, rep, def)
	return true
}

// field is the position in the struct's fields of member i, whose key is key, or -1 for a member of _extra.
// Records of a stream mostly list their keys in one order, so the field member i had last time is tried first.
func (n *node) field(i int, key string) int {
	if i < len(n.hints) {
		if h := n.hints[i]; h > 0 && n.fields[h-1].name == key {
			return h - 1
		}
	}
	f, ok := n.index[key]
	if !ok {
		return -1
	}
	if i < 64 {
		for len(n.hints) <= i {
			n.hints = append(n.hints, 0)
		}
		n.hints[i] = f + 1
	}
	return f
}

// clearColumns empties the columns of the row being made.
func clearColumns(cols [][]parquet.Value) {
	for i := range cols {
		cols[i] = cols[i][:0]
	}
}

// leaf appends a present leaf value.
func (n *node) leaf(cols sink, v parquet.Value, rep, def int) {
	cols.put(v, rep, def, n.first)
}

// extraLeaf appends the value of an _extra column, whose struct is at definition level def: the members that are not
// columns, as a JSON object in their order (b, without its closing brace), or null when there are none.
func (n *node) extraLeaf(cols sink, b []byte, rep, def int) {
	if b == nil {
		n.nulls(cols, rep, def)
		return
	}
	n.leaf(cols, parquet.ByteArrayValue(append(b, '}')), rep, def+1)
}

// nulls appends a null at the given levels to every column at or under the node.
func (n *node) nulls(cols sink, rep, def int) {
	for c := n.first; c < n.end; c++ {
		cols.put(parquet.NullValue(), rep, def, c)
	}
}

// appendMember adds member i of the object v to the JSON object being written in b (nil: none yet), as the producer
// sent it: JSON text can hold what a string column cannot, an unpaired surrogate escape (jsonvalue.Value.Unpaired).
func appendMember(b []byte, v jsonvalue.Value, i int) []byte {
	if b == nil {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	b = jsonvalue.Members(v)[2*i].AppendJSON(b) // the key, with an unpaired surrogate escape if it has one
	b = append(b, ':')
	return v.Index(i).AppendJSON(b)
}

// colType is a column's schema.Type as a number: the switches that every value goes through compare numbers faster
// than the types' names.
type colType uint8

const (
	// tUnknown is what typeOf gives for a type it does not know: no value converts to it, so a column type added
	// to schema and not here fails loudly instead of being written as a string.
	tUnknown colType = iota
	tString
	tBigint
	tDouble
	tBoolean
	tTimestamp
	tStruct
	tArray
)

var typeOf = map[schema.Type]colType{schema.String: tString, schema.Bigint: tBigint, schema.Double: tDouble,
	schema.Boolean: tBoolean, schema.Timestamp: tTimestamp, schema.Struct: tStruct, schema.Array: tArray}

var typeName = [...]schema.Type{tUnknown: "unknown type", tString: schema.String, tBigint: schema.Bigint, tDouble: schema.Double,
	tBoolean: schema.Boolean, tTimestamp: schema.Timestamp, tStruct: schema.Struct, tArray: schema.Array}

// convert converts a JSON value to a column type exactly, or fails.
func convert(t colType, v jsonvalue.Value) (parquet.Value, error) {
	switch {
	case t == tString && v.Kind() == jsonvalue.String:
		if u := v.Unpaired(); u != "" {
			// Its text has U+FFFD there: writing it would change the value.
			return parquet.Value{}, fmt.Errorf("a lone surrogate (%s), which a Parquet string (UTF-8) cannot hold", u)
		}
		return parquet.ByteArrayValue(bytesOf(v.Text())), nil
	case t == tBoolean && v.Kind() == jsonvalue.Bool:
		return parquet.BooleanValue(v.True()), nil
	case t == tBigint && v.Kind() == jsonvalue.Number:
		n, ok := jsonvalue.ExactInt64(v.Text())
		if !ok {
			return parquet.Value{}, fmt.Errorf("%s does not fit exactly in a 64-bit integer column", v.Text())
		}
		return parquet.Int64Value(n), nil
	case t == tDouble && v.Kind() == jsonvalue.Number:
		f, err := strconv.ParseFloat(v.Text(), 64)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s does not fit in a double column", v.Text())
		}
		return parquet.DoubleValue(f), nil
	case t == tTimestamp && v.Kind() == jsonvalue.String:
		if us, ok := unixMicro(v.Text()); ok {
			return parquet.Int64Value(us), nil
		}
		ts, err := dateTime(v.Text())
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%q is not a date-time the timestamp column can hold", v.Text())
		}
		if subMicro(v.Text()) {
			return parquet.Value{}, fmt.Errorf("%q: sub-microsecond precision, which the timestamp column (microseconds) cannot hold", v.Text())
		}
		return parquet.Int64Value(ts.UnixMicro()), nil
	}
	return parquet.Value{}, fmt.Errorf("got %s, want %s", kind(v), typeName[t])
}

// bytesOf views a string's bytes without copying them: the writer copies values into its pages and never
// modifies them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// kind names a value's JSON type for messages.
func kind(v jsonvalue.Value) string {
	return [...]string{jsonvalue.Null: "null", jsonvalue.Bool: "boolean", jsonvalue.Number: "number",
		jsonvalue.String: "string", jsonvalue.Array: "array", jsonvalue.Object: "object"}[v.Kind()]
}

// Encode writes rows to dst as one Parquet file.
func (p *Parquet) Encode(dst *bytes.Buffer, rows []parquet.Row) error {
	config, err := p.config(p.plainColumns(rows))
	if err != nil {
		return err
	}
	start := dst.Len()
	// A writer per file: a parquet.Writer that is Reset for another file writes it with every path_in_schema of its
	// column metadata emptied (parquet-go v0.32.0 clears the paths it shares with the column writers), which readers
	// that find column chunks by path (Athena, Spark) cannot read.
	w := parquet.NewWriter(dst, config)
	if err := writeColumns(w, rows); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return dropLongBounds(dst, start)
}

// The rows plainColumns samples, and the fewest strings of a column it judges by.
const (
	sampleRows    = 256
	sampleStrings = 32
)

// plainColumns is the string columns whose values are mostly (over three quarters) distinct in the first rows
// (identifiers, free text), as a bit set. A dictionary makes such a column no smaller, and costs the most of any step
// to build (a hash table of every value); for the others, whose values repeat, it makes the file smaller. The choice
// depends on the rows only, so a file's bytes do too.
func (p *Parquet) plainColumns(rows []parquet.Row) uint64 {
	var counts [64]int
	for _, row := range rows[:min(len(rows), sampleRows)] {
		for _, v := range row {
			c := v.Column()
			if c >= 64 || p.strings&(1<<c) == 0 || v.IsNull() {
				continue
			}
			if p.sample[c] == nil {
				p.sample[c] = map[string]struct{}{}
			}
			p.sample[c][unsafe.String(unsafe.SliceData(v.ByteArray()), len(v.ByteArray()))] = struct{}{}
			counts[c]++
		}
	}
	var plain uint64
	for c, n := range counts[:min(p.columns, 64)] {
		if n >= sampleStrings && 4*len(p.sample[c]) > 3*n {
			plain |= 1 << c
		}
		clear(p.sample[c]) // it holds the rows' strings
	}
	return plain
}

// subMicro reports whether the RFC 3339 date-time s has a non-zero digit after the sixth of its fraction of a
// second: a time a TIMESTAMP(MICROS) column would truncate. The fraction follows a period or, as time.Parse also
// reads it, a comma.
func subMicro(s string) bool {
	const fraction = len("2006-01-02T15:04:05.") // RFC 3339 fixes the width of what comes before
	if len(s) <= fraction || (s[fraction-1] != '.' && s[fraction-1] != ',') {
		return false
	}
	for i := fraction; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		if i >= fraction+6 && s[i] != '0' {
			return true
		}
	}
	return false
}

// rowsPerWrite is how many rows writeColumns hands each column writer at a time: parquet-go's Writer.WriteRows
// writes 64, and a page ends after the write that fills it, so the pages, and the file, are the same.
const rowsPerWrite = 64

// writeColumns is w.WriteRows(rows) for rows that Row made, which hold their values in column order: it gathers the
// values of each column and writes them straight to the column's writer, without WriteRows' walk of each row for
// its columns' runs.
func writeColumns(w *parquet.Writer, rows []parquet.Row) error {
	writers := w.ColumnWriters()
	cols := make([][]parquet.Value, len(writers))
	for start := 0; start < len(rows); start += rowsPerWrite {
		chunk := rows[start:min(start+rowsPerWrite, len(rows))]
		if flat(chunk, len(cols)) {
			// Each row holds one value of each column, column c's at row[c]: gathered a column at a time.
			for c := range cols {
				values := cols[c]
				for _, row := range chunk {
					values = append(values, row[c])
				}
				cols[c] = values
			}
		} else {
			for _, row := range chunk {
				for _, v := range row {
					c := v.Column()
					cols[c] = append(cols[c], v)
				}
			}
		}
		for c, values := range cols {
			if len(values) > 0 {
				if _, err := writers[c].WriteRowValues(values); err != nil {
					return err
				}
			}
			cols[c] = values[:0]
		}
	}
	return nil
}

// flat reports whether each row has one value in each of the columns.
func flat(rows []parquet.Row, columns int) bool {
	for _, row := range rows {
		if len(row) != columns {
			return false
		}
	}
	return true
}

// unixMicro is dateTime(s).UnixMicro() for the date-times producers mostly send (those jsonvalue.ReadDateTime
// reads), without time.Parse. ok is false for anything else (a leap second, more than six significant digits of
// fraction, more than nine), which convert leaves to dateTime.
func unixMicro(s string) (us int64, ok bool) {
	d, ok := jsonvalue.ReadDateTime(s)
	if !ok || len(d.Fraction) > 9 {
		return 0, false
	}
	var micro int64
	for i := range 6 {
		micro *= 10
		if i < len(d.Fraction) {
			micro += int64(d.Fraction[i] - '0')
		}
	}
	for i := 6; i < len(d.Fraction); i++ {
		if d.Fraction[i] != '0' { // below a microsecond: the column cannot hold it
			return 0, false
		}
	}
	secs := daysSinceEpoch(d.Year, d.Month, d.Day)*86400 + int64(d.Hour*3600+d.Minute*60+d.Second-d.Offset)
	return secs*1e6 + micro, true
}

// daysSinceEpoch is the number of days from 1970-01-01 to a date of the proleptic Gregorian calendar (year >= 0),
// counted in 400-year eras of 146097 days from 0000-03-01, so that a leap day ends its year.
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := (year+400)/400 - 1 // floor division, year >= -1
	yearOfEra := year - era*400
	shifted := (month + 9) % 12 // March is 0
	dayOfYear := (153*shifted+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return int64(era)*146097 + int64(dayOfEra) - 719468
}
