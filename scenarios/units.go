package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// rateUnits are the tc rate units Chaos Mesh accepts, in bits per second;
// "bps" means bytes per second, as in tc. Longer suffixes come first so
// that "kbps" is not read as "bps".
var rateUnits = []struct {
	suffix string
	bits   uint64
}{
	{"tbps", 8e12}, {"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3},
	{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3},
	{"bps", 8}, {"bit", 1},
}

// maxRate caps bandwidth at 100 Gbit/s; anything above is surely a typo.
const maxRate = 100e9

// BitsPerSecond parses Rate into bits per second.
func (b *BandwidthSpec) BitsPerSecond() (uint64, error) {
	s := strings.ToLower(strings.TrimSpace(b.Rate))
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid rate %q: want a whole number and a unit, e.g. \"256kbit\"", b.Rate)
		}
		if n > math.MaxUint64/u.bits {
			return 0, fmt.Errorf("rate %q is too large", b.Rate)
		}
		return n * u.bits, nil
	}
	return 0, fmt.Errorf("invalid rate %q: unit must be one of bit, kbit, mbit, gbit, tbit, bps, kbps, mbps, gbps, tbps", b.Rate)
}

// parsePositiveInt parses a decimal integer from 1 to limit.
func parsePositiveInt(s string, limit int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("must be a whole number, got %q", s)
	}
	if n < 1 || n > limit {
		return 0, fmt.Errorf("must be from 1 to %d, got %d", limit, n)
	}
	return n, nil
}
