package layout

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// maxBoundBytes is the longest bound a column chunk keeps in the footer (parquet-mr keeps none past 4 KiB; Trino
// truncates its own at 1 KiB).
const maxBoundBytes = 1 << 10

// parquetMagic ends a Parquet file whose footer is not encrypted.
const parquetMagic = "PAR1"

// dropLongBounds removes, from the footer of the Parquet file that starts at offset start of file, each column
// chunk's bounds (statistics min and max) that are longer than maxBoundBytes.
//
// parquet-go writes a chunk's bounds whole into the footer, which every reader fetches and decodes before any data:
// one long string (a text, a JSON blob in _extra) would be copied there, uncompressed, twice. Its only way to leave
// them out (SkipPageBounds) also empties the column index, which then tells engines that prune pages by it (Trino,
// Spark) that each page holds only "": they would skip pages that match. So the file is written with every bound,
// and the column index keeps its own, truncated to 16 bytes as Parquet allows; only the long footer bounds go. The
// footer is rewritten only when one does.
func dropLongBounds(file *bytes.Buffer, start int) error {
	b := file.Bytes()[start:]
	if len(b) < 2*len(parquetMagic)+4 || string(b[len(b)-len(parquetMagic):]) != parquetMagic {
		return errors.New("parquet: the file does not end as a Parquet file")
	}
	size := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	if size > len(b)-12 {
		return fmt.Errorf("parquet: a footer of %d bytes in a file of %d", size, len(b))
	}
	footer := b[len(b)-8-size : len(b)-8]
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &md); err != nil {
		return fmt.Errorf("parquet: read the footer back: %w", err)
	}
	changed := false
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			s := &md.RowGroups[i].Columns[j].MetaData.Statistics
			if max(len(s.Min), len(s.Max), len(s.MinValue), len(s.MaxValue)) > maxBoundBytes {
				s.Min, s.Max, s.MinValue, s.MaxValue = nil, nil, nil, nil
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	out, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return fmt.Errorf("parquet: write the footer again: %w", err)
	}
	file.Truncate(start + len(b) - 8 - size)
	file.Write(out)
	file.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(out))))
	file.WriteString(parquetMagic)
	return nil
}
