package handler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// byTag keeps each object under the first tag its key contains, so that concurrent invocations, each writing keys
// with a tag of its own, can each see what they wrote.
type byTag struct {
	mu   sync.Mutex
	tags []string
	objs map[string]map[string][]byte
}

func newByTag(tags ...string) *byTag {
	b := &byTag{tags: tags, objs: map[string]map[string][]byte{}}
	for _, tag := range tags {
		b.objs[tag] = map[string][]byte{}
	}
	return b
}

func (b *byTag) Put(_ context.Context, key string, body []byte, _ string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, tag := range b.tags {
		if strings.Contains(key, tag) {
			b.objs[tag][key] = bytes.Clone(body)
			return nil
		}
	}
	return fmt.Errorf("no tag in %s", key)
}

// take returns what was written under tag, and forgets it.
func (b *byTag) take(tag string) map[string][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.objs[tag]
	b.objs[tag] = map[string][]byte{}
	return got
}

// mixedEvent is event v of goroutine g, whose sequence numbers all start with seqTag(g): large and small, some
// records not JSON, some over the schema's maximum, some dropped by the transform; every third without arrival
// times (which a record left in a reused table would still have), every third with a last record that the
// decoder's quick read gives up on, so that the exact read follows it into the same table.
func mixedEvent(t *testing.T, g, v int) []byte {
	t.Helper()
	var recs []kinesisevent.Record
	for i := range []int{200, 3, 5, 150, 1, 40}[v] {
		data := fmt.Sprintf(`{"g":%d,"v":%d,"i":%d}`, g, v, i)
		if i%7 == 3 {
			data = "not json"
		}
		recs = append(recs, kinesisevent.Record{ShardID: fmt.Sprintf("shardId-00000000000%d", g),
			SequenceNumber: fmt.Sprintf("%s%02d%05d", seqTag(g), v, i), PartitionKey: "k",
			Data: []byte(data), Arrival: time.Date(2026, 3, 5, 7+i%3, 0, i%60, 0, time.UTC)})
	}
	ev, err := kinesisevent.Encode(source, recs)
	if err != nil {
		t.Fatal(err)
	}
	switch v % 3 {
	case 1:
		ev = regexp.MustCompile(`,?"approximateArrivalTimestamp":[0-9.]+`).ReplaceAll(ev, nil)
	case 2: // an escaped newline, which base64 skips, at the start of the last record's data
		i := bytes.LastIndex(ev, []byte(`"data":"`)) + len(`"data":"`)
		ev = append(ev[:i:i], append([]byte(`\n`), ev[i:]...)...)
	}
	return ev
}

func seqTag(g int) string {
	return fmt.Sprintf("495903382714902566085596925383615710959215759891%d", g)
}

// Concurrent invocations of one handler, each with events of changing sizes and forms, in every output mode and
// format, write and answer exactly what a new handler does for each event: no invocation sees or changes what
// another, or an earlier one, read into a reused record or unit table (the race detector checks the rest).
func TestConcurrentInvocationsOfEveryKind(t *testing.T) {
	schema := filepath.Join(t.TempDir(), "schema.json")
	doc := `{"type":"object","properties":{"g":{"type":"integer"},"v":{"type":"integer"},"i":{"type":"integer","maximum":190}}}`
	if err := os.WriteFile(schema, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	const goroutines, events = 4, 6
	for _, kind := range []string{"batch", "record", "parquet", "shaped-jsonl"} {
		t.Run(kind, func(t *testing.T) {
			cfg := config.Config{Bucket: "b", OutputMode: kind, KeyPrefix: "kinesis/", Compression: config.CompressionNone,
				ErrorPrefix: "errors/", OnInvalidRecord: config.InvalidQuarantine, UploadConcurrency: 4}
			switch kind {
			case "parquet":
				cfg.OutputMode, cfg.Schema, cfg.Format, cfg.PartitionKeys = config.ModeBatch, schema, config.FormatParquet, "gg=.g"
				cfg.Transform = `if .i % 11 == 5 then empty else . end`
			case "shaped-jsonl":
				cfg.OutputMode, cfg.Schema, cfg.PartitionKeys = config.ModeBatch, schema, "vv=.v"
				cfg.Transform = `if .i % 11 == 5 then empty else . end`
			}
			handler := func(w process.Writer) *Handler {
				proc, err := process.New(cfg, w, nil)
				if err != nil {
					t.Fatal(err)
				}
				return New(proc, nil, "fn", io.Discard)
			}
			var tags []string
			for g := range goroutines {
				tags = append(tags, seqTag(g))
			}
			type answer struct {
				resp    []byte
				objects map[string][]byte
			}
			want := map[[2]int]answer{}
			evs := map[[2]int][]byte{}
			for g := range goroutines {
				for v := range events {
					evs[[2]int{g, v}] = mixedEvent(t, g, v)
					w := newByTag(tags...)
					resp, err := handler(w).Invoke(context.Background(), evs[[2]int{g, v}])
					if err != nil {
						t.Fatal(err)
					}
					want[[2]int{g, v}] = answer{resp, w.take(seqTag(g))}
				}
			}
			w := newByTag(tags...)
			h := handler(w)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range 30 {
						v := (i*5 + g) % events
						resp, err := h.Invoke(context.Background(), evs[[2]int{g, v}])
						got, wanted := w.take(seqTag(g)), want[[2]int{g, v}]
						if err != nil || !bytes.Equal(resp, wanted.resp) || !reflect.DeepEqual(got, wanted.objects) {
							t.Errorf("goroutine %d, event %d: %s, %v, %d objects; a new handler: %s, %d objects", g, v,
								resp, err, len(got), wanted.resp, len(wanted.objects))
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
