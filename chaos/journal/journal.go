// Package journal records every fault injection on disk before it happens,
// with the data needed to undo it, so that a crashed or interrupted run
// can always be healed afterwards (edgeproof recover).
//
// The journal of a cluster is a JSON-lines file,
// $EDGEPROOF_CACHE/journal/<cluster>/journal.jsonl (the cache defaults to
// os.UserCacheDir()/edgeproof). Each line is a record:
//
//	{"type":"begin","id":"...","time":"...","entry":{...}}
//	{"type":"healed","id":"...","time":"..."}
//
// An entry is pending from its begin record until a healed record with the
// same id follows. Every record is written with one write call and fsync'd
// before Begin or Healed returns. A line torn by a crash is skipped with a
// warning, never fatal.
package journal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/edgeproof/edgeproof/internal/cache"
)

// FileName is the journal file's name inside its directory.
const FileName = "journal.jsonl"

// Journal is the append-only injection log of one cluster. It is safe for
// concurrent use; writes from several processes are serialised with an
// advisory file lock where the platform has one.
type Journal struct {
	cluster string
	path    string
	warnf   func(format string, args ...any)

	mu     sync.Mutex
	f      *os.File
	ids    map[string]bool // ids begun by this process
	warned map[string]bool // bad lines already reported
}

// Option configures Open and OpenDir.
type Option func(*Journal)

// WithWarnf sends warnings (torn or corrupt lines) to fn instead of stderr.
func WithWarnf(fn func(format string, args ...any)) Option {
	return func(j *Journal) { j.warnf = fn }
}

// Dir returns the journal directory of a cluster, creating it.
func Dir(cluster string) (string, error) {
	if !validName.MatchString(cluster) {
		return "", fmt.Errorf("journal: invalid cluster name %q", cluster)
	}
	return cache.Dir("journal", cluster)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Open opens (creating if needed) the journal of a cluster.
func Open(cluster string, opts ...Option) (*Journal, error) {
	dir, err := Dir(cluster)
	if err != nil {
		return nil, err
	}
	j, err := OpenDir(dir, opts...)
	if err != nil {
		return nil, err
	}
	j.cluster = cluster
	return j, nil
}

// OpenDir opens (creating if needed) the journal file in dir. A last line
// left unterminated by a crash is closed with a newline first, so the next
// record starts on a line of its own.
func OpenDir(dir string, opts ...Option) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: creating %s: %w", dir, err)
	}
	j := &Journal{
		cluster: filepath.Base(dir),
		path:    filepath.Join(dir, FileName),
		ids:     map[string]bool{},
		warned:  map[string]bool{},
		warnf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "edgeproof: warning: "+format+"\n", args...)
		},
	}
	for _, o := range opts {
		o(j)
	}
	_, statErr := os.Stat(j.path)
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: opening %s: %w", j.path, err)
	}
	j.f = f
	if errors.Is(statErr, os.ErrNotExist) {
		// Make the new name durable, not just the data written later.
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := j.repairTail(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// Path is the journal file.
func (j *Journal) Path() string { return j.path }

// Cluster is the cluster the journal belongs to.
func (j *Journal) Cluster() string { return j.cluster }

// Close closes the file; the journal must not be used afterwards.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// repairTail terminates a torn last line.
func (j *Journal) repairTail() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	unlock, err := lockFile(j.f)
	if err != nil {
		return fmt.Errorf("journal: locking %s: %w", j.path, err)
	}
	defer unlock()
	st, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if st.Size() == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := j.f.ReadAt(last, st.Size()-1); err != nil {
		return fmt.Errorf("journal: reading %s: %w", j.path, err)
	}
	if last[0] == '\n' {
		return nil
	}
	j.warnf("journal %s: last line was cut short (crash during a write?); it is ignored", j.path)
	if _, err := j.f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("journal: repairing %s: %w", j.path, err)
	}
	return j.f.Sync()
}

// NewID returns a fresh entry id, for callers that must name things after
// the entry (iptables comments, resource names) before calling Begin. Ids
// are lowercase letters, digits and '-', e.g. "20260102t150405-1a2b3c4d".
func (j *Journal) NewID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	for {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("journal: crypto/rand: %v", err)) // never fails on supported platforms
		}
		id := time.Now().UTC().Format("20060102t150405") + "-" + hex.EncodeToString(b[:])
		if !j.ids[id] {
			j.ids[id] = false // reserved, not yet begun
			return id
		}
	}
}

// Begin durably records an injection about to happen and returns its id
// (e.ID if set, else a new one). Call it before touching the cluster.
func (j *Journal) Begin(e Entry) (string, error) {
	if e.ID == "" {
		e.ID = j.NewID()
	}
	if e.Cluster == "" {
		e.Cluster = j.cluster
	}
	if e.Started.IsZero() {
		e.Started = time.Now().UTC()
	}
	for i, a := range e.Recovery {
		if a.Op == "" {
			return "", fmt.Errorf("journal: entry %s: recovery action %d has no op", e.ID, i)
		}
	}
	j.mu.Lock()
	if begun := j.ids[e.ID]; begun {
		j.mu.Unlock()
		return "", fmt.Errorf("journal: entry %s already begun", e.ID)
	}
	j.ids[e.ID] = true
	j.mu.Unlock()
	if err := j.append(record{Type: typeBegin, ID: e.ID, Time: e.Started, Entry: &e}); err != nil {
		j.mu.Lock()
		j.ids[e.ID] = false // not written: the id may be begun again
		j.mu.Unlock()
		return "", err
	}
	return e.ID, nil
}

// Healed durably marks an entry as recovered. Marking it twice is fine.
func (j *Journal) Healed(id string) error {
	known := func() bool { j.mu.Lock(); defer j.mu.Unlock(); return j.ids[id] }()
	if !known {
		// Begun by another process (a crashed run): check the file.
		entries, _, err := j.read()
		if err != nil {
			return err
		}
		if _, ok := entries[id]; !ok {
			return fmt.Errorf("journal: no entry %s in %s", id, j.path)
		}
	}
	return j.append(record{Type: typeHealed, ID: id, Time: time.Now().UTC()})
}

// append writes one record as one line and fsyncs it.
func (j *Journal) append(r record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: encoding %s record %s: %w", r.Type, r.ID, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal: %s is closed", j.path)
	}
	unlock, err := lockFile(j.f)
	if err != nil {
		return fmt.Errorf("journal: locking %s: %w", j.path, err)
	}
	defer unlock()
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal: writing %s record %s to %s: %w", r.Type, r.ID, j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: syncing %s: %w", j.path, err)
	}
	return nil
}

// Pending returns the entries begun and not healed, oldest first. It reads
// the file, so it also sees entries written by other processes.
func (j *Journal) Pending() ([]Entry, error) {
	entries, order, err := j.read()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, id := range order {
		if st := entries[id]; !st.healed {
			out = append(out, st.entry)
		}
	}
	return out, nil
}

// All returns every entry with whether it was healed, oldest first.
func (j *Journal) All() ([]Entry, []bool, error) {
	entries, order, err := j.read()
	if err != nil {
		return nil, nil, err
	}
	out := make([]Entry, len(order))
	healed := make([]bool, len(order))
	for i, id := range order {
		out[i], healed[i] = entries[id].entry, entries[id].healed
	}
	return out, healed, nil
}

type state struct {
	entry  Entry
	healed bool
}

// read parses the whole file. Unparsable lines are skipped with one
// warning each; a healed record for an unknown id is ignored likewise.
func (j *Journal) read() (map[string]*state, []string, error) {
	data, err := j.snapshot()
	if err != nil {
		return nil, nil, err
	}
	entries := map[string]*state{}
	var order []string
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			// No newline: a write cut short by a crash.
			j.warn(n, "journal %s line %d: incomplete last line ignored", j.path, n)
			break
		}
		line := data[:i]
		data = data[i+1:]
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
			j.warn(n, "journal %s line %d: torn or corrupt record ignored", j.path, n)
			continue
		}
		switch r.Type {
		case typeBegin:
			if r.Entry == nil {
				j.warn(n, "journal %s line %d: begin record without entry ignored", j.path, n)
				continue
			}
			if _, dup := entries[r.ID]; !dup {
				order = append(order, r.ID)
			}
			entries[r.ID] = &state{entry: *r.Entry}
		case typeHealed:
			if st, ok := entries[r.ID]; ok {
				st.healed = true
			} else {
				j.warn(n, "journal %s line %d: healed record for unknown entry %s ignored", j.path, n, r.ID)
			}
		default:
			j.warn(n, "journal %s line %d: unknown record type %q ignored", j.path, n, r.Type)
		}
	}
	return entries, order, nil
}

// warn reports a bad line once per journal, not on every read.
func (j *Journal) warn(line int, format string, args ...any) {
	key := fmt.Sprint(line, format)
	j.mu.Lock()
	seen := j.warned[key]
	j.warned[key] = true
	j.mu.Unlock()
	if !seen {
		j.warnf(format, args...)
	}
}

// snapshot reads the file under the lock, so no record is seen half
// written by another process.
func (j *Journal) snapshot() ([]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil, fmt.Errorf("journal: %s is closed", j.path)
	}
	unlock, err := lockFile(j.f)
	if err != nil {
		return nil, fmt.Errorf("journal: locking %s: %w", j.path, err)
	}
	defer unlock()
	data, err := os.ReadFile(j.path)
	if err != nil {
		return nil, fmt.Errorf("journal: reading %s: %w", j.path, err)
	}
	return data, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("journal: syncing %s: %w", dir, err)
	}
	return nil
}
