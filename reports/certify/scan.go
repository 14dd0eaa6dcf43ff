package certify

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// contents is what one pass over a bundle found.
type contents struct {
	files       []File // sorted by path
	byPath      map[string]bool
	manifest    []byte
	signature   []byte
	fingerprint []byte
	report      []byte
	problems    []string
}

// gzipHeader is the 10-byte header Go's gzip writer puts on every bundle:
// no name, no time, default level, OS "unknown". Pinning it means no header
// byte can change unnoticed; the gzip trailer's CRC covers the data.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// scan reads the bundle once. Besides hashing each file, it re-encodes the
// tar stream the way Bundle would and compares that with what it read, so
// that a changed byte anywhere in the uncompressed archive (headers, padding,
// end blocks) is caught, not only in file contents.
func scan(r io.Reader) (*contents, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(gzipHeader))
	if err != nil {
		return nil, fmt.Errorf("read gzip header: %w", err)
	}
	c := &contents{byPath: map[string]bool{}}
	if !bytes.Equal(head, gzipHeader) {
		c.problems = append(c.problems, fmt.Sprintf("gzip header altered: % x, want % x", head, gzipHeader))
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	zr.Multistream(false) // a second gzip member appended to a bundle is extra data

	read, canon := sha256.New(), sha256.New()
	tr := tar.NewReader(io.TeeReader(zr, read))
	cw := tar.NewWriter(canon)
	canonical := true // false once an entry could not be re-encoded
	seen := map[string]bool{}
	last := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := h.Name
		if err := checkName(name); err != nil {
			c.problems = append(c.problems, fmt.Sprintf("entry %q: %v", h.Name, err))
			canonical = false
			continue
		}
		if h.Typeflag != tar.TypeReg {
			c.problems = append(c.problems, fmt.Sprintf("%s: entry of tar type %q, bundles hold only regular files", name, h.Typeflag))
			canonical = false
			continue
		}
		if diff := headerDiff(h); len(diff) > 0 {
			c.problems = append(c.problems, fmt.Sprintf("%s: tar header altered: %s", name, strings.Join(diff, ", ")))
			canonical = false
		}
		if rank(name) < rank(last) {
			c.problems = append(c.problems, fmt.Sprintf("%s: out of order after %s", name, last))
		}
		last = name
		if seen[name] {
			c.problems = append(c.problems, fmt.Sprintf("%s: appears more than once in the bundle", name))
			canonical = false
			continue
		}
		seen[name] = true
		if err := cw.WriteHeader(header(name, h.Size)); err != nil {
			return nil, fmt.Errorf("re-encode %s: %w", name, err)
		}

		var data []byte
		sum := sha256.New()
		dst := io.MultiWriter(sum, cw)
		small := name == ManifestName || name == SignatureName || name == FingerprintName || name == ReportName
		if small {
			if h.Size > maxSmallFile {
				c.problems = append(c.problems, fmt.Sprintf("%s: %d bytes, larger than the %d allowed", name, h.Size, maxSmallFile))
				canonical = false
				continue
			}
			var buf bytes.Buffer
			if _, err := io.Copy(io.MultiWriter(dst, &buf), tr); err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			data = buf.Bytes()
		} else if _, err := io.Copy(dst, tr); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}

		switch name {
		case ManifestName:
			c.manifest = data
			continue // the manifest and signature are not files the manifest lists
		case SignatureName:
			c.signature = data
			continue
		case FingerprintName:
			c.fingerprint = data
		case ReportName:
			c.report = data
		}
		c.files = append(c.files, File{Path: name, SHA256: hex.EncodeToString(sum.Sum(nil)), Size: h.Size})
		c.byPath[name] = true
	}
	// Read to the end so gzip checks its trailing checksum and the read hash
	// covers the end-of-archive blocks, then insist on nothing after the gzip member.
	if _, err := io.Copy(read, zr); err != nil {
		return nil, err
	}
	if n, _ := io.Copy(io.Discard, br); n > 0 {
		c.problems = append(c.problems, fmt.Sprintf("%d bytes of extra data after the compressed archive", n))
	}
	if err := cw.Close(); err != nil {
		return nil, fmt.Errorf("re-encode archive: %w", err)
	}
	if canonical && !bytes.Equal(read.Sum(nil), canon.Sum(nil)) {
		c.problems = append(c.problems, "tar stream altered outside file contents (header encoding, padding or end-of-archive blocks differ from what Bundle writes)")
	}
	sort.Slice(c.files, func(i, j int) bool { return c.files[i].Path < c.files[j].Path })
	return c, nil
}

// headerDiff lists the tar header fields that differ from what Bundle writes.
func headerDiff(h *tar.Header) []string {
	var d []string
	if h.Mode != 0o644 {
		d = append(d, fmt.Sprintf("mode %#o (want 0644)", h.Mode))
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
		d = append(d, fmt.Sprintf("owner %d:%d %q:%q (want 0:0, no names)", h.Uid, h.Gid, h.Uname, h.Gname))
	}
	if !h.ModTime.Equal(entryTime) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
		d = append(d, fmt.Sprintf("time %s (want %s)", h.ModTime.UTC().Format(time.RFC3339), entryTime.Format(time.RFC3339)))
	}
	if h.Linkname != "" || h.Devmajor != 0 || h.Devminor != 0 {
		d = append(d, "link or device fields set")
	}
	for k := range h.PAXRecords {
		if k != "path" {
			d = append(d, fmt.Sprintf("extra PAX record %q", k))
		}
	}
	return d
}

// rank orders entries as Bundle writes them: files by path, then MANIFEST,
// then MANIFEST.sig.
func rank(name string) string {
	switch name {
	case ManifestName:
		return "\xff1"
	case SignatureName:
		return "\xff2"
	}
	return name
}
