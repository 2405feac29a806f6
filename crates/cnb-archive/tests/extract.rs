//! The extractor: layers come back as they went in, umoci's quirks are accepted, Go's mode
//! rules hold, and hostile archives are refused without writing outside the target.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use cnb_archive::{
    Compression, EntryKind, EntrySink, Error, Extractor, Header, LayerWriter, Owner, TarWriter,
    add_dir, extract,
};

fn tar(entries: &[Header]) -> Vec<u8> {
    let mut writer = TarWriter::new(Vec::new());
    for header in entries {
        let data = vec![b'x'; usize::try_from(header.data_size()).unwrap()];
        writer.append(header, &mut data.as_slice()).unwrap();
    }
    writer.finish().unwrap()
}

fn file(name: &str) -> Header {
    Header::regular(name, 0o644, 3)
}

/// A sandbox: the target dir inside an outer dir that must stay as it was.
struct Sandbox {
    outer: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let outer = tempfile::tempdir().unwrap();
        fs::create_dir(outer.path().join("target")).unwrap();
        fs::write(outer.path().join("precious"), b"keep").unwrap();
        Self { outer }
    }

    fn target(&self) -> PathBuf {
        self.outer.path().join("target")
    }

    /// The outer dir holds only the target and the untouched precious file.
    fn assert_nothing_outside(&self) {
        let mut names: Vec<_> = fs::read_dir(self.outer.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["precious", "target"]);
        assert_eq!(
            fs::read(self.outer.path().join("precious")).unwrap(),
            b"keep"
        );
    }

    fn refuse(&self, entries: &[Header]) -> String {
        let err = extract(tar(entries).as_slice(), &self.target()).unwrap_err();
        self.assert_nothing_outside();
        err.to_string()
    }
}

/// `/` + the outer dir's path, relative, so that following a symlink to `/` lands there.
fn outer_from_root(sandbox: &Sandbox) -> String {
    sandbox
        .outer
        .path()
        .to_str()
        .unwrap()
        .trim_start_matches('/')
        .to_owned()
}

#[test]
fn refuses_dot_dot_entries() {
    let sandbox = Sandbox::new();
    let message = sandbox.refuse(&[file("../escaped")]);
    assert_eq!(
        message,
        "refusing tar entry ../escaped: it has a '..' element"
    );
    sandbox.refuse(&[file("a/../../escaped")]);
}

#[test]
fn roots_absolute_names_in_the_target() {
    let sandbox = Sandbox::new();
    let name = format!("/{}/escaped", outer_from_root(&sandbox));
    extract(tar(&[file(&name)]).as_slice(), &sandbox.target()).unwrap();
    sandbox.assert_nothing_outside();
    assert!(
        sandbox
            .target()
            .join(name.trim_start_matches('/'))
            .is_file()
    );
}

#[test]
fn refuses_a_file_through_a_symlink_to_the_root() {
    let sandbox = Sandbox::new();
    let through = format!("evil/{}/escaped", outer_from_root(&sandbox));
    let message = sandbox.refuse(&[Header::symlink("evil", "/", 0o777), file(&through)]);
    assert!(
        message.ends_with("its path passes through a symlink"),
        "{message}"
    );
    // a directory entry on top of the symlink is refused too
    let sandbox = Sandbox::new();
    sandbox.refuse(&[
        Header::symlink("evil", "/", 0o777),
        Header::directory("evil", 0o755),
    ]);
}

#[test]
fn refuses_hard_links_leading_outside() {
    let sandbox = Sandbox::new();
    let outside = Header {
        link_name: b"../precious".to_vec(),
        ..Header::new(EntryKind::HardLink, "stolen", 0o644)
    };
    let message = sandbox.refuse(&[outside]);
    assert!(
        message.ends_with("its link target has a '..' element"),
        "{message}"
    );

    let sandbox = Sandbox::new();
    let precious = format!("{}/precious", outer_from_root(&sandbox));
    let through = Header {
        link_name: format!("evil/{precious}").into_bytes(),
        ..Header::new(EntryKind::HardLink, "stolen", 0o644)
    };
    let message = sandbox.refuse(&[Header::symlink("evil", "/", 0o777), through]);
    assert!(
        message.ends_with("passes through a symlink or file"),
        "{message}"
    );
    assert!(!sandbox.target().join("stolen").exists());
}

#[test]
fn replaces_a_symlink_in_the_way_instead_of_writing_through_it() {
    let sandbox = Sandbox::new();
    let precious = sandbox.outer.path().join("precious");
    std::os::unix::fs::symlink(&precious, sandbox.target().join("f")).unwrap();
    extract(tar(&[file("f")]).as_slice(), &sandbox.target()).unwrap();
    sandbox.assert_nothing_outside();
    assert_eq!(fs::read(sandbox.target().join("f")).unwrap(), b"xxx");
}

#[test]
fn refuses_types_go_does_not_extract() {
    let sandbox = Sandbox::new();
    let message = sandbox.refuse(&[Header::new(EntryKind::Fifo, "pipe", 0o644)]);
    assert_eq!(message, "unknown file type in tar 54 for pipe");
}

#[test]
fn accepts_umoci_quirks() {
    let sandbox = Sandbox::new();
    let entries = [
        Header::directory("/", 0o755),
        Header::directory("./", 0o755),
        Header::directory("./usr/bin/", 0o755),
        file("./usr/bin/tool"),
        Header::directory("bin", 0o755),
        Header::symlink("bin/sh", "/bin/busybox", 0o777),
        file("bin/sh"),
        Header::symlink("bin/sh", "/bin/busybox", 0o777),
        file("/etc/missing-parent/conf"),
    ];
    extract(tar(&entries).as_slice(), &sandbox.target()).unwrap();
    sandbox.assert_nothing_outside();
    let target = sandbox.target();
    assert!(target.join("usr/bin/tool").is_file());
    assert_eq!(
        fs::read_link(target.join("bin/sh")).unwrap(),
        Path::new("/bin/busybox")
    );
    assert!(target.join("etc/missing-parent/conf").is_file());
}

/// The process umask, from /proc (reading it with umask(2) would change it).
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("Umask:"))
        .unwrap();
    u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).unwrap()
}

#[test]
fn applies_modes_as_go_does_under_umask_zero() {
    let sandbox = Sandbox::new();
    let entries = [
        Header::directory("locked", 0o555),
        Header::regular("locked/open", 0o777, 3),
        Header::directory("locked/sub", 0o2750),
        file("implicit/parent/file"),
    ];
    extract(tar(&entries).as_slice(), &sandbox.target()).unwrap();
    let mode = |path: &str| {
        fs::symlink_metadata(sandbox.target().join(path))
            .unwrap()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("locked"), 0o555);
    assert_eq!(mode("locked/open"), 0o777);
    assert_eq!(mode("locked/sub"), 0o2750);
    assert_eq!(mode("implicit"), 0o777 & !umask());
    assert_eq!(mode("implicit/parent"), 0o777 & !umask());
    // an existing directory keeps its mode
    fs::set_permissions(
        sandbox.target().join("implicit"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    extract(
        tar(&[Header::directory("implicit", 0o755)]).as_slice(),
        &sandbox.target(),
    )
    .unwrap();
    assert_eq!(mode("implicit"), 0o700);
    fs::set_permissions(
        sandbox.target().join("locked"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

#[test]
fn a_layer_comes_back_as_it_went_in() {
    for compression in [Compression::None, Compression::gzip(), Compression::zstd()] {
        let source = tempfile::tempdir().unwrap();
        let layer = source.path().join("layers/bp/layer");
        fs::create_dir_all(layer.join("bin")).unwrap();
        fs::write(layer.join("bin/tool"), b"#!/bin/sh\n").unwrap();
        fs::set_permissions(layer.join("bin/tool"), fs::Permissions::from_mode(0o4755)).unwrap();
        fs::write(layer.join("data"), vec![7u8; 3 << 20]).unwrap();
        std::os::unix::fs::symlink("bin/tool", layer.join("link")).unwrap();
        let mut writer = LayerWriter::new(Vec::new(), compression).unwrap();
        add_dir(
            &mut writer,
            source.path(),
            Path::new("/layers/bp/layer"),
            Owner::new(1234, 3_000_000),
        )
        .unwrap();
        let (blob, _) = writer.finish().unwrap();

        let sandbox = Sandbox::new();
        Extractor::new(&sandbox.target())
            .extract(blob.as_slice())
            .unwrap();
        sandbox.assert_nothing_outside();
        let restored = sandbox.target().join("layers/bp/layer");
        assert_eq!(fs::read(restored.join("bin/tool")).unwrap(), b"#!/bin/sh\n");
        assert_eq!(fs::read(restored.join("data")).unwrap(), vec![7u8; 3 << 20]);
        assert_eq!(
            fs::read_link(restored.join("link")).unwrap(),
            Path::new("bin/tool")
        );
        let tool = fs::metadata(restored.join("bin/tool")).unwrap();
        assert_eq!(tool.mode() & 0o7777, 0o4755);
        if cnb_sys::is_root() {
            assert_eq!((tool.uid(), tool.gid()), (1234, 3_000_000));
            let link = fs::symlink_metadata(restored.join("link")).unwrap();
            assert_eq!((link.uid(), link.gid()), (1234, 3_000_000));
        }
    }
}

#[test]
fn hard_links_inside_the_target_are_made() {
    let sandbox = Sandbox::new();
    let link = Header {
        link_name: b"/dir/original".to_vec(),
        ..Header::new(EntryKind::HardLink, "/dir/link", 0o644)
    };
    extract(
        tar(&[file("/dir/original"), link]).as_slice(),
        &sandbox.target(),
    )
    .unwrap();
    let original = fs::metadata(sandbox.target().join("dir/original")).unwrap();
    let linked = fs::metadata(sandbox.target().join("dir/link")).unwrap();
    assert_eq!(original.ino(), linked.ino());
}

#[test]
fn a_truncated_archive_is_an_error() {
    let sandbox = Sandbox::new();
    let bytes = tar(&[Header::regular("big", 0o644, 4096)]);
    let err = extract(&bytes[..1500], &sandbox.target()).unwrap_err();
    assert!(matches!(err, Error::ReadArchive { .. }), "{err}");
}

#[test]
fn whiteouts_remove_what_they_name_when_asked_and_are_plain_files_otherwise() {
    let sandbox = Sandbox::new();
    let target = sandbox.target();
    fs::create_dir_all(target.join("etc/old.d")).unwrap();
    fs::write(target.join("etc/old.d/conf"), b"x").unwrap();
    fs::write(target.join("etc/gone"), b"x").unwrap();
    fs::create_dir_all(target.join("opt/full")).unwrap();
    fs::write(target.join("opt/full/a"), b"x").unwrap();
    let layer = tar(&[
        Header::directory("etc", 0o755),
        file("etc/.wh.gone"),
        file("etc/.wh.old.d"),
        Header::directory("opt/full", 0o755),
        file("opt/full/.wh..wh..opq"),
        file("opt/full/b"),
    ]);
    Extractor::new(&target)
        .apply_whiteouts(true)
        .extract(layer.as_slice())
        .unwrap();
    assert!(!target.join("etc/gone").exists());
    assert!(!target.join("etc/old.d").exists());
    assert!(!target.join("etc/.wh.gone").exists());
    assert!(!target.join("opt/full/a").exists());
    assert!(target.join("opt/full/b").is_file());
    sandbox.assert_nothing_outside();

    let plain = Sandbox::new();
    extract(layer.as_slice(), &plain.target()).unwrap();
    assert!(plain.target().join("etc/.wh.gone").is_file());
}

#[test]
fn a_whiteout_of_dot_dot_is_refused() {
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.target().join("dir")).unwrap();
    let err = Extractor::new(&sandbox.target())
        .apply_whiteouts(true)
        .extract(tar(&[file("dir/.wh...")]).as_slice())
        .unwrap_err();
    assert!(err.to_string().contains(".wh..."), "{err}");
    assert!(sandbox.target().join("dir").is_dir());
    sandbox.assert_nothing_outside();
}
