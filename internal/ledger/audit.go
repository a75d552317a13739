package ledger

import (
	"fmt"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

// quarantineReasons is what the quarantine reason says for each invalid kind the generator makes.
var quarantineReasons = map[generate.Kind]string{
	generate.KindNotJSON: "invalid JSON",
	generate.KindBadUTF8: "invalid UTF-8",
	generate.KindEmpty:   "empty record",
	generate.KindBadKPL:  "MD5",
}

// FromAudit turns the generator's audit of the records Kinesis accepted (pipelinectl generate --output, read
// with generate.ReadAudit) into where each user record must end up: a JSON record as it is, each user record of
// a KPL aggregate on its own, an invalid record in quarantine. A kind without a defined outcome (oversized: it
// depends on the function's limits) is an error rather than a guess.
func FromAudit(sent []generate.AuditRecord) ([]Expect, error) {
	var want []Expect
	for _, a := range sent {
		data, err := a.Bytes()
		if err != nil {
			return nil, fmt.Errorf("audit record %d: %w", a.Index, err)
		}
		e := Expect{ShardID: a.ShardID, SequenceNumber: a.SequenceNumber, SubIndex: -1, Data: data}
		switch {
		case a.Kind == generate.KindJSON:
			want = append(want, e)
		case a.Kind == generate.KindKPL:
			for i, sub := range a.Records {
				d, err := sub.Bytes()
				if err != nil {
					return nil, fmt.Errorf("audit record %d, user record %d: %w", a.Index, i, err)
				}
				want = append(want, Expect{ShardID: a.ShardID, SequenceNumber: a.SequenceNumber, SubIndex: i, Data: d, Record: data})
			}
		case quarantineReasons[a.Kind] != "":
			e.Quarantine, e.Reason = true, quarantineReasons[a.Kind]
			want = append(want, e)
		default:
			return nil, fmt.Errorf("audit record %d: no expected outcome for kind %s", a.Index, a.Kind)
		}
	}
	return want, nil
}
