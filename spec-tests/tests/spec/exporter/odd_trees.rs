//! Trees that real builds leave behind and that a naive exporter trips over, exported as the
//! Go lifecycle exports them (lifecycle-tests.md §4.2–4.4): names that are not UTF-8 and paths
//! longer than 255 bytes (PAX records), hard links (each a full regular file), FIFOs (type 6),
//! sockets (left out), symlink loops (symlinks, never followed), a sparse file of 8 GiB (PAX
//! `size`), and 100 000 small files with the exporter's peak RSS at most 64 MiB.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use cnb_testkit::Finished;

use super::fixture::World;

/// An entry of an exported layer: path bytes, type, size, link target and the first bytes
/// of the contents.
struct Entry {
    path: Vec<u8>,
    kind: u8,
    size: u64,
    link: Option<Vec<u8>>,
    data: Vec<u8>,
}

/// The label's diffID of the first buildpack's layer `layer_dir`.
fn buildpack_layer(world: &World, image: &str, layer_dir: &str) -> String {
    let label = world.label(image, "io.buildpacks.lifecycle.metadata");
    label["buildpacks"][0]["layers"][layer_dir]["sha"]
        .as_str()
        .expect("layer sha")
        .to_owned()
}

/// The label's diffID of the last app layer (the files no slice took).
fn app_layer(world: &World, image: &str) -> String {
    let label = world.label(image, "io.buildpacks.lifecycle.metadata");
    let app = label["app"].as_array().expect("app layers");
    app.last().expect("an app layer")["sha"]
        .as_str()
        .expect("app sha")
        .to_owned()
}

/// The entries of the exported layer with `diff_id`, up to and including the first whose path
/// ends with `stop_at` (whose contents are not read).
fn layer_entries(world: &World, image: &str, diff_id: &str, stop_at: &[u8]) -> Vec<Entry> {
    let mut archive = world.layer_tar(image, diff_id);
    let mut entries = Vec::new();
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let header = entry.header();
        let path = entry.path_bytes().into_owned();
        let kind = header.entry_type().as_byte();
        let size = entry.size();
        let link = entry.link_name_bytes().map(std::borrow::Cow::into_owned);
        let stop = path.ends_with(stop_at);
        let mut data = Vec::new();
        if !stop {
            entry
                .by_ref()
                .take(64)
                .read_to_end(&mut data)
                .expect("entry data");
        }
        entries.push(Entry {
            path,
            kind,
            size,
            link,
            data,
        });
        if stop {
            break;
        }
    }
    entries
}

fn find<'a>(entries: &'a [Entry], suffix: &[u8]) -> Option<&'a Entry> {
    entries.iter().find(|entry| entry.path.ends_with(suffix))
}

#[test]
fn odd_files_are_exported_as_go_exports_them() {
    let world = World::start();
    let layer = world.layers().join("test_first/launch-layer");
    let odd_name = OsStr::from_bytes(b"caf\xe9-not-utf8");
    fs::write(layer.join(odd_name), "odd\n").expect("odd name");
    let long_dir = layer.join("d".repeat(200)).join("e".repeat(200));
    fs::create_dir_all(&long_dir).expect("long dir");
    fs::write(long_dir.join("f".repeat(255)), "deep\n").expect("long path");
    fs::write(layer.join("original"), "linked contents\n").expect("file");
    fs::hard_link(layer.join("original"), layer.join("hardlink")).expect("hard link");
    nix::unistd::mkfifo(
        &layer.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .expect("mkfifo");
    let socket = std::os::unix::net::UnixListener::bind(layer.join("socket")).expect("socket");
    symlink("loop-b", layer.join("loop-a")).expect("symlink");
    symlink("loop-a", layer.join("loop-b")).expect("symlink");
    symlink(".", layer.join("self")).expect("symlink");
    // Sorted last in the layer: the reading stops at its header.
    let sparse = fs::File::create(layer.join("zz-sparse")).expect("sparse");
    sparse.set_len(8 << 30).expect("8 GiB hole");
    drop(sparse);
    let app_odd = OsStr::from_bytes(b"app-\xff.txt");
    fs::write(world.app().join(app_odd), "app\n").expect("app odd name");

    let app = world.name("test/odd:latest");
    world.export(&app, &[]);
    drop(socket);

    let launch_layer = buildpack_layer(&world, &app, "launch-layer");
    let entries = layer_entries(&world, &app, &launch_layer, b"zz-sparse");
    let odd = find(&entries, b"/caf\xe9-not-utf8").expect("non-UTF-8 name kept as bytes");
    assert_eq!(odd.data, b"odd\n");
    let deep = find(&entries, "f".repeat(255).as_bytes()).expect("long path");
    assert!(deep.path.len() > 600, "{}", deep.path.len());
    assert_eq!(deep.data, b"deep\n");
    for name in [&b"/original"[..], b"/hardlink"] {
        let entry = find(&entries, name).expect("hard link");
        assert_eq!(
            entry.kind, b'0',
            "a hard link is a full regular file, as in Go"
        );
        assert_eq!(entry.data, b"linked contents\n");
    }
    assert_eq!(find(&entries, b"/fifo").expect("fifo").kind, b'6');
    assert!(find(&entries, b"/socket").is_none(), "sockets are left out");
    let loop_a = find(&entries, b"/loop-a").expect("symlink loop");
    assert_eq!(
        (loop_a.kind, loop_a.link.as_deref()),
        (b'2', Some(&b"loop-b"[..]))
    );
    let this = find(&entries, b"/self").expect("symlink to .");
    assert_eq!((this.kind, this.link.as_deref()), (b'2', Some(&b"."[..])));
    let huge = find(&entries, b"/zz-sparse").expect("sparse file");
    assert_eq!((huge.kind, huge.size), (b'0', 8 << 30));

    let app_entries = layer_entries(&world, &app, &app_layer(&world, &app), b"\0never");
    let app_odd = find(&app_entries, b"/app-\xff.txt").expect("non-UTF-8 app file");
    assert_eq!(app_odd.data, b"app\n");
}

#[test]
fn a_hundred_thousand_small_files_export_in_at_most_64_mib() {
    let world = World::start();
    let layer = world.layers().join("test_first/launch-layer");
    for dir in 0..100 {
        let dir_path = layer.join(format!("dir-{dir:03}"));
        fs::create_dir_all(&dir_path).expect("mkdir");
        for file in 0..1000 {
            fs::write(
                dir_path.join(format!("file-{file:04}")),
                format!("{dir}/{file}\n"),
            )
            .expect("write");
        }
    }
    let app = world.name("test/many:latest");
    let rss_file = world.dir.path().join("rss");
    let exporter = world.exporter("0.15");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(exporter.get_program())
        .args(exporter.get_args())
        .arg(&app)
        .env_clear()
        .envs(
            exporter
                .get_envs()
                .filter_map(|(key, value)| Some((key, value?))),
        );
    let finished = Finished::run(&mut timed);
    assert_eq!(finished.code, Some(0), "{finished}");
    let kib: u64 = fs::read_to_string(&rss_file)
        .expect("time output")
        .trim()
        .parse()
        .expect("max RSS in KiB");
    assert!(kib <= 64 * 1024, "peak RSS {kib} KiB for 100 000 files");
    let launch_layer = buildpack_layer(&world, &app, "launch-layer");
    let entries = layer_entries(&world, &app, &launch_layer, b"\0never");
    let files = entries.iter().filter(|entry| entry.kind == b'0').count();
    assert_eq!(files, 100_001, "every file and lib.txt");
    assert!(Path::new(&rss_file).is_file());
}
