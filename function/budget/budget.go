// Package budget derives what one invocation may hold in memory from the function's memory size
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), so that no input, however hostile, makes the function run out of memory.
//
// The target is that the process's peak resident memory stays at or below half the function's memory. The Go
// memory limit is set just under that half; an invocation's decoded data is budgeted at a quarter of the limit,
// because what it decodes can be held about twice (the values, then an uncompressed batch object built from them)
// next to the event itself, and the garbage collector needs room above the live heap to run seldom.
package budget

import (
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// MiB is a mebibyte.
const MiB = 1 << 20

// Budget is what one invocation may spend.
type Budget struct {
	MemoryMB int // the function's memory size the budget derives from
	// GoMemoryLimit is the soft limit for the Go runtime (runtime/debug.SetMemoryLimit): half the memory, less
	// nonGoMemory for what the runtime does not count.
	GoMemoryLimit int64
	// Invocation is what the records of one invocation may hold once decoded: decompressed bytes, plus
	// decode.ItemCost for each user record. A record that does not fit is left to the next invocation.
	Invocation int64
	// Record caps the decompressed bytes of one Kinesis record, its user records together. A record over it is
	// quarantined: it would not fit in any invocation.
	Record int64
	// Values caps the JSON values (object keys included) of one user record that analytics settings decode into
	// a tree (function/jsonvalue): the tree and the decoder's stack take jsonvalue.ValueSize each, and together
	// stay within half the invocation budget. The tree is the record's alone, gone before the next one. A record
	// over the cap is quarantined.
	Values int
	// Library caps the JSON values (object keys included) of a record that goes to the JSON Schema library: one
	// that the schema's compiled checks cannot vouch for. The library works on a copy of the tree in Go values and
	// builds an error, with its causes, for each value that fails: up to LibraryValueCost each, within half the
	// invocation budget. A record over the cap is quarantined without the library's check.
	Library int
	// CollectAfter is what an invocation may allocate before it runs the garbage collector as it ends: the
	// invocation budget. An invocation that decoded that much leaves its decoded values and objects behind as
	// garbage; collected at once, they cannot add to the next invocation's peak when the collector, short of CPU,
	// lags behind. Smaller invocations never pay for a collection.
	CollectAfter int64
}

const (
	// nonGoMemory is resident memory that the Go memory limit does not cover, mainly the binary's own code and
	// data (about 10 MiB of the bootstrap), with a margin for the heap overshooting the limit between collections.
	nonGoMemory = 32 * MiB
	// DefaultMemoryMB is the memory size assumed outside Lambda (the redrive tool's direct mode, tests): the
	// budgets of a 512 MB function, so that a batch is handled there as a default deployment handles it.
	DefaultMemoryMB = 512
	// LibraryValueCost bounds what the JSON Schema library holds for one value of a record it checks: about 650
	// bytes were measured for values that each fail both branches of an anyOf (the tree copied into maps, slices
	// and interfaces, and three errors a value), 300 for a value failing a type.
	LibraryValueCost = 1024
)

// For returns the budget of a function with memoryMB megabytes (Lambda's MB are MiB); 0 means DefaultMemoryMB.
func For(memoryMB int) Budget {
	if memoryMB <= 0 {
		memoryMB = DefaultMemoryMB
	}
	b := Budget{MemoryMB: memoryMB}
	b.GoMemoryLimit = max(int64(memoryMB)*MiB/2-nonGoMemory, 32*MiB)
	// The first record of an invocation must always be decided there (written or quarantined), or the shard would
	// stop: the invocation budget holds the largest record and the bookkeeping of the largest aggregate together.
	floor := 2 * int64(decode.MaxSubRecords) * decode.ItemCost
	b.Invocation = max(b.GoMemoryLimit/4, floor)
	b.Record = min(b.Invocation/2, decode.MaxDecompressed)
	b.Values = int(b.Invocation / 2 / (2 * int64(jsonvalue.ValueSize)))
	b.Library = min(int(b.Invocation/2/LibraryValueCost), b.Values)
	b.CollectAfter = b.Invocation
	return b
}
