package emulators

import "time"

// CPUTime is the processor time (user and system) the processes have used so far, added up; their children are
// not included (see Descendants). A process that has exited counts for nothing. Measurements use it to tell which
// part of the local stack a load keeps busy.
func CPUTime(pids ...int) (time.Duration, error) {
	var total time.Duration
	for _, pid := range pids {
		d, err := processCPU(pid)
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// Descendants returns the processes and all their descendants (an RIE and its bootstrap, say).
func Descendants(pids []int) ([]int, error) { return withDescendants(pids) }
