package event

import (
	"bytes"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// The records of an event from Lambda differ in five values only: the event ID, partition key, sequence number,
// data and arrival time. Every other byte of a record (its keys, the strings every record shares, their order) is
// the same as in the record before. Reading quickly, the decoder notes where these five values are in a record it
// reads in full: its shape. The next record that has the same bytes around values of the same kinds, each read by
// the same quick reader as in full, is the same JSON but for them, and decodes to the same record but for them: it
// is read as the bytes between them compared and the five values read, its other fields copied from the record of
// the shape. Anything else is read in full, and its shape is noted in turn.

// The kinds of values a shape leaves out.
const (
	holeID = iota
	holePartitionKey
	holeSequenceNumber
	holeData
	holeArrival
	nHoles
)

// hole is a value of a record that its shape leaves out: its kind and its bytes, src[start:end].
type hole struct{ kind, start, end int }

// shape is a record read in full, src[start:end], with its values unique to the record left out; index is the
// record in out.
type shape struct {
	start, end, index int
	holes             [nHoles]hole // in the order of the record
	n                 int          // values noted: the shape is whole with one of each kind, so nHoles
	kinds             int          // bit k set for a value of kind k
	idPrefix          []byte       // the event ID before the sequence number it ends with, as Lambda writes it; or nil
}

// hole notes a value of the record being read in full, src[start:end], read quickly.
func (d *Decoder) hole(kind, start, end int) {
	if !d.quick {
		return
	}
	s := &d.reading
	if s.n < nHoles {
		s.holes[s.n] = hole{kind, start, end}
	}
	s.n++
	s.kinds |= 1 << kind
}

// notHole notes that a value of one of the kinds a shape leaves out was read otherwise than quickly (escaped, null,
// or in another number form): the record read in full has no shape, as a later record of the same bytes could not
// be read by it to the same value (the last of two values of a key is the one that counts).
func (d *Decoder) notHole() { d.reading.n = nHoles + 1 }

// whole reports whether s has one value of each kind.
func (s *shape) whole() bool { return s.n == nHoles && s.kinds == 1<<nHoles-1 }

// noteIDPrefix sets s.idPrefix if the event ID of the record in src comes after its sequence number and ends with it.
func (s *shape) noteIDPrefix(src []byte) {
	s.idPrefix = nil
	var id, seq hole
	for _, h := range s.holes {
		switch h.kind {
		case holeID:
			id = h
		case holeSequenceNumber:
			seq = h
		}
	}
	idValue, seqValue := src[id.start+1:id.end-1], src[seq.start+1:seq.end-1]
	if seq.end <= id.start && len(seqValue) > 0 && bytes.HasSuffix(idValue, seqValue) {
		s.idPrefix = idValue[:len(idValue)-len(seqValue)]
	}
}

// quickID reads the event ID at src[v] if it is the shape's idPrefix and then seq, the record's sequence number:
// both read quickly, printable ASCII without quotes or backslashes, so the ID ends at the quote after them.
func (d *Decoder) quickID(v int, seq text) (end int, ok bool) {
	prefix, s := d.shape.idPrefix, d.src[seq.start:seq.end]
	end = v + 1 + len(prefix) + len(s) + 1
	ok = prefix != nil && seq.set && end <= len(d.src) && d.src[v] == '"' && d.src[end-1] == '"' &&
		bytes.Equal(d.src[v+1:v+1+len(prefix)], prefix) && bytes.Equal(d.src[v+1+len(prefix):end-1], s)
	return end, ok
}

// readShaped reads the record at src[i] as one of the same shape as the last one read in full, into p, and returns
// the offset past it; not ok, having changed nothing, if it is not.
func (d *Decoder) readShaped(i int, p *pending) (end int, ok bool) {
	s := &d.shape
	if !d.quick || !s.whole() {
		return 0, false
	}
	var vals [nHoles]text
	var seconds float64
	prev := s.start
	for _, h := range s.holes {
		between := d.src[prev:h.start]
		if !bytes.HasPrefix(d.src[i:], between) {
			return 0, false
		}
		v := i + len(between)
		switch h.kind {
		case holeData:
			if v >= len(d.src) || d.src[v] != '"' {
				return 0, false
			}
			n := bytes.IndexByte(d.src[v+1:], '"')
			if n < 0 {
				return 0, false
			}
			i = v + n + 2
		case holeArrival:
			if seconds, i, ok = quickSeconds(d.src, v); !ok {
				return 0, false
			}
		case holeID:
			if end, quick := d.quickID(v, vals[holeSequenceNumber]); quick {
				i = end
			} else if i, ok = jsoncompact.ASCIIString(d.src, v); !ok {
				return 0, false
			}
		default:
			if i, ok = jsoncompact.ASCIIString(d.src, v); !ok {
				return 0, false
			}
		}
		vals[h.kind] = text{start: v + 1, end: i - 1, at: v, set: true}
		prev = h.end
	}
	after := d.src[prev:s.end]
	if !bytes.HasPrefix(d.src[i:], after) {
		return 0, false
	}
	d.shaped++
	r := &d.out[p.index]
	*r = d.out[s.index]
	r.Kinesis.ApproximateArrivalTimestamp.Time = epochSeconds(seconds)
	p.id, p.pk, p.seq, p.data = vals[holeID], vals[holePartitionKey], vals[holeSequenceNumber], vals[holeData]
	return i + len(after), true
}
