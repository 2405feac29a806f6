//! A layer someone else wrote (an extension layer of the extended run image), written again
//! as every layer the lifecycle writes (Go `TarLayer`): names, link names, modes, owners,
//! device numbers and contents are kept, mtimes and user and group names normalised, so that
//! the same extension output always gives the same layer.

use std::io::Read;

use crate::decompress::decompress;
use crate::entries::for_each_tar_entry;
use crate::{EntrySink, Result};

/// Appends every entry of the layer `blob` (plain, gzip or zstd) to `sink`. PAX global headers
/// are dropped; entry types no layer of ours holds (GNU sparse files, volume labels) are
/// refused.
pub fn add_layer_entries(sink: &mut dyn EntrySink, blob: impl Read) -> Result<()> {
    for_each_tar_entry(decompress(blob)?, |entry, data| {
        sink.append(&entry.header, data)
    })
}

#[cfg(test)]
mod tests {
    use tar::EntryType;

    use super::*;
    use crate::{NORMALIZED_MTIME, TarWriter};

    fn source_tar() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_mtime(1_700_000_000);
        dir.set_size(0);
        dir.set_uid(0);
        dir.set_gid(0);
        dir.set_username("builder").unwrap();
        dir.set_cksum();
        builder
            .append_data(&mut dir, "opt/ext/", std::io::empty())
            .unwrap();
        let mut file = tar::Header::new_ustar();
        file.set_mode(0o4755);
        file.set_uid(1000);
        file.set_gid(1001);
        file.set_mtime(1_700_000_000);
        file.set_size(4);
        file.set_cksum();
        builder
            .append_data(&mut file, "opt/ext/tool", &b"tool"[..])
            .unwrap();
        let mut whiteout = tar::Header::new_ustar();
        whiteout.set_mode(0o644);
        whiteout.set_size(0);
        whiteout.set_uid(0);
        whiteout.set_gid(0);
        whiteout.set_mtime(0);
        whiteout.set_cksum();
        builder
            .append_data(&mut whiteout, "etc/.wh.motd", std::io::empty())
            .unwrap();
        let mut link = tar::Header::new_ustar();
        link.set_entry_type(EntryType::Symlink);
        link.set_mode(0o777);
        link.set_size(0);
        link.set_uid(0);
        link.set_gid(0);
        link.set_mtime(0);
        link.set_cksum();
        builder
            .append_link(&mut link, "usr/bin/tool", "/opt/ext/tool")
            .unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn entries_keep_their_contents_owners_and_modes_and_lose_their_times_and_names() {
        let mut tar = TarWriter::new(Vec::new());
        add_layer_entries(&mut tar, source_tar().as_slice()).unwrap();
        let bytes = tar.finish().unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            assert_eq!(header.mtime().unwrap(), NORMALIZED_MTIME);
            assert_eq!(header.username_bytes(), Some(&b""[..]));
            let mut contents = String::new();
            entry.read_to_string(&mut contents).unwrap();
            seen.push((
                String::from_utf8(entry.path_bytes().into_owned()).unwrap(),
                header.mode().unwrap(),
                header.uid().unwrap(),
                header.gid().unwrap(),
                contents,
                entry
                    .link_name_bytes()
                    .map(|link| String::from_utf8(link.into_owned()).unwrap()),
            ));
        }
        let expected = [
            ("opt/ext", 0o755, 0, 0, "", None),
            ("opt/ext/tool", 0o4755, 1000, 1001, "tool", None),
            ("etc/.wh.motd", 0o644, 0, 0, "", None),
            ("usr/bin/tool", 0o777, 0, 0, "", Some("/opt/ext/tool")),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(name, mode, uid, gid, contents, link)| {
                (
                    (*name).to_owned(),
                    *mode,
                    *uid,
                    *gid,
                    (*contents).to_owned(),
                    link.map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn the_same_layer_always_gives_the_same_bytes() {
        let write = || {
            let mut tar = TarWriter::new(Vec::new());
            add_layer_entries(&mut tar, source_tar().as_slice()).unwrap();
            tar.finish().unwrap()
        };
        assert_eq!(write(), write());
    }
}
