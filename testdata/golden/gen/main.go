// Command gen writes the golden tars of testdata/golden with Go's own archive/tar, set up
// the way the Go lifecycle sets it up (header format left unset; mtime 1980-01-01T00:00:01Z,
// empty user and group names; absolute names; parents of a layer dir with their real owner,
// the dir and its contents with the layer owner). It is the oracle for cnb-archive's
// byte-identity tests; run it as root (it chowns), from testdata/golden:
//
//	go run gen/main.go
//
// It is not part of the build: the tars it writes are committed.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var mtime = time.Date(1980, time.January, 1, 0, 0, 1, 0, time.UTC)

func main() {
	must(writeHeaders("headers.list", "headers.tar"))
	must(writeHugeHeader("huge-size.header"))
	must(writeEmpty("empty.tar"))
	must(writeDirLayer("dir-layer.tree", "dir-layer.tar"))
	must(writeDirLayer("corrupted-layer.tree", "corrupted-layer.tar"))
	for _, name := range []string{"empty.tar", "headers.tar", "huge-size.header", "dir-layer.tar", "corrupted-layer.tar"} {
		data, err := os.ReadFile(name)
		must(err)
		fmt.Printf("sha256:%x  %s\n", sha256.Sum256(data), name)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// normalized writes hdr the way the lifecycle's normalising writer does.
func normalized(tw *tar.Writer, hdr *tar.Header) error {
	hdr.ModTime = mtime
	hdr.Uname = ""
	hdr.Gname = ""
	return tw.WriteHeader(hdr)
}

func content(size int64) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i % 251)
	}
	return data
}

func fileContent(field string) []byte {
	if strings.HasPrefix(field, "text:") {
		return []byte(unescape(strings.TrimPrefix(field, "text:")))
	}
	return content(number(field, 10))
}

func unescape(field string) string {
	var out bytes.Buffer
	for i := 0; i < len(field); i++ {
		if field[i] == '%' && i+2 < len(field) {
			b, err := strconv.ParseUint(field[i+1:i+3], 16, 8)
			must(err)
			out.WriteByte(byte(b))
			i += 2
			continue
		}
		out.WriteByte(field[i])
	}
	return out.String()
}

func lines(path string) [][]string {
	data, err := os.ReadFile(path)
	must(err)
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, " "))
	}
	return rows
}

func number(field string, base int) int64 {
	n, err := strconv.ParseInt(field, base, 64)
	must(err)
	return n
}

func writeHeaders(list, out string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range lines(list) {
		hdr := &tar.Header{
			Typeflag: f[0][0],
			Mode:     number(f[1], 8),
			Uid:      int(number(f[2], 10)),
			Gid:      int(number(f[3], 10)),
			Size:     number(f[4], 10),
			Devmajor: number(f[5], 10),
			Devminor: number(f[6], 10),
			Name:     unescape(f[7]),
		}
		if f[8] != "-" {
			hdr.Linkname = unescape(f[8])
		}
		if err := normalized(tw, hdr); err != nil {
			return fmt.Errorf("%q: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(content(hdr.Size)); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// writeHugeHeader keeps only the header blocks of a 9 GiB file: the data is never written.
func writeHugeHeader(out string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: "/huge", Mode: 0o644, Size: 9 << 30}
	if err := normalized(tw, hdr); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func writeEmpty(out string) error {
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// writeDirLayer builds the tree of dir-layer.tree under a temp root and archives it as the
// lifecycle's DirLayer would, with every name relative to that root made absolute.
func writeDirLayer(treeFile, out string) error {
	root, err := os.MkdirTemp("", "golden-tree")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	rows := lines(treeFile)
	layer, uid, gid := rows[0][1], int(number(rows[0][2], 10)), int(number(rows[0][3], 10))
	if err := buildTree(root, rows[1:]); err != nil {
		return err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(hostPath string, fi os.FileInfo, owner func(*tar.Header)) error {
		if fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		hdr.Name = strings.TrimPrefix(hostPath, root)
		if fi.Mode()&os.ModeSymlink != 0 {
			if hdr.Linkname, err = os.Readlink(hostPath); err != nil {
				return err
			}
		}
		owner(hdr)
		if err := normalized(tw, hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(hostPath)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	}
	var parents []string
	for dir := filepath.Dir(layer); dir != "/"; dir = filepath.Dir(dir) {
		parents = append([]string{dir}, parents...)
	}
	for _, parent := range parents {
		fi, err := os.Stat(root + parent)
		if err != nil {
			return err
		}
		if err := add(root+parent, fi, func(*tar.Header) {}); err != nil {
			return err
		}
	}
	err = filepath.Walk(root+layer, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return add(path, fi, func(hdr *tar.Header) { hdr.Uid, hdr.Gid = uid, gid })
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func buildTree(root string, rows [][]string) error {
	type modeSet struct {
		path string
		mode os.FileMode
	}
	var modes []modeSet
	for _, f := range rows {
		kind, path := f[0], filepath.Join(root, f[4])
		mode := os.FileMode(number(f[1], 8))
		var err error
		switch kind {
		case "dir":
			err = os.Mkdir(path, 0o700)
		case "file":
			err = os.WriteFile(path, fileContent(f[5]), 0o600)
		case "link":
			err = os.Link(filepath.Join(root, f[5]), path)
		case "symlink":
			err = os.Symlink(f[5], path)
		case "fifo":
			err = syscall.Mkfifo(path, 0o600)
		default:
			err = fmt.Errorf("unknown kind %q", kind)
		}
		if err != nil {
			return err
		}
		if kind == "link" {
			continue
		}
		if err := os.Lchown(path, int(number(f[2], 10)), int(number(f[3], 10))); err != nil {
			return err
		}
		if kind != "symlink" {
			modes = append(modes, modeSet{path, mode})
		}
	}
	// deepest first, so a directory closes only after its contents are in place
	sort.SliceStable(modes, func(i, j int) bool { return len(modes[i].path) > len(modes[j].path) })
	for _, m := range modes {
		perm := m.mode.Perm()
		if m.mode&0o4000 != 0 {
			perm |= os.ModeSetuid
		}
		if m.mode&0o2000 != 0 {
			perm |= os.ModeSetgid
		}
		if m.mode&0o1000 != 0 {
			perm |= os.ModeSticky
		}
		if err := os.Chmod(m.path, perm); err != nil {
			return err
		}
	}
	return nil
}
