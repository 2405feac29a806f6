//! Reading a tar entry by entry, as metadata plus a reader of the contents: the one reader of
//! other tools' layers (written again by [`crate::add_layer_entries`], compared by the image
//! diff). PAX records override the USTAR fields they cover (`uid`, `gid`, `mtime`, and the
//! path and link name, which the tar crate applies itself).

use std::io::Read;

use tar::EntryType;

use crate::{EntryKind, Error, Header, Result};

/// One entry of a tar, as read: its header (name without trailing slashes, mode without
/// file-type bits, owners from PAX records when present) and its modification time, which
/// [`Header`] leaves out because the lifecycle normalises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    /// Name, kind, link name, mode, owners, size and device numbers.
    pub header: Header,
    /// Seconds since the epoch (a fractional PAX `mtime` is cut to whole seconds).
    pub mtime: u64,
}

/// Calls `visit` with every entry of the uncompressed `tar` and a reader of its contents
/// (empty for all but regular files); contents `visit` leaves unread are skipped. PAX global
/// headers are dropped; entry types no layer holds (GNU sparse files, volume labels) are
/// refused. Stops at the tar's end-of-archive blocks: whatever follows them is left unread.
pub fn for_each_tar_entry(
    tar: impl Read,
    mut visit: impl FnMut(&LayerEntry, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let read = |source| Error::ReadArchive { source };
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(read)? {
        let mut entry = entry.map_err(read)?;
        let Some(layer_entry) = layer_entry(&mut entry)? else {
            continue;
        };
        visit(&layer_entry, &mut entry)?;
    }
    Ok(())
}

/// The entry's metadata, or `None` for a PAX global header.
fn layer_entry<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Option<LayerEntry>> {
    let read = |source| Error::ReadArchive { source };
    let mut name = entry.path_bytes().into_owned();
    let kind = match entry.header().entry_type() {
        EntryType::XGlobalHeader => return Ok(None),
        EntryType::Regular | EntryType::Continuous => EntryKind::Regular,
        EntryType::Link => EntryKind::HardLink,
        EntryType::Symlink => EntryKind::Symlink,
        EntryType::Char => EntryKind::CharDevice,
        EntryType::Block => EntryKind::BlockDevice,
        EntryType::Directory => EntryKind::Directory,
        EntryType::Fifo => EntryKind::Fifo,
        other => {
            return Err(Error::UnsupportedEntry {
                name: String::from_utf8_lossy(&name).into_owned(),
                typeflag: other.as_byte(),
            });
        }
    };
    let pax = PaxFields::of(entry)?;
    let header = entry.header();
    let narrow = |id: u64| u32::try_from(id).unwrap_or(u32::MAX);
    let uid = pax.uid.map_or_else(|| header.uid().map_err(read), Ok)?;
    let gid = pax.gid.map_or_else(|| header.gid().map_err(read), Ok)?;
    let mtime = pax.mtime.map_or_else(|| header.mtime().map_err(read), Ok)?;
    // Only devices carry device numbers; other writers leave the fields blank.
    let is_device = matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice);
    let device = |number: std::io::Result<Option<u32>>| {
        if is_device {
            number.map(Option::unwrap_or_default)
        } else {
            Ok(0)
        }
    };
    while name.len() > 1 && name.last() == Some(&b'/') {
        name.pop();
    }
    let header = Header {
        name,
        kind,
        link_name: entry
            .link_name_bytes()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default(),
        mode: header.mode().map_err(read)? & 0o7777,
        uid: narrow(uid),
        gid: narrow(gid),
        size: if kind == EntryKind::Regular {
            entry.size()
        } else {
            0
        },
        dev_major: device(header.device_major()).map_err(read)?,
        dev_minor: device(header.device_minor()).map_err(read)?,
    };
    Ok(Some(LayerEntry { header, mtime }))
}

/// The PAX records that override USTAR numbers.
#[derive(Default)]
struct PaxFields {
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<u64>,
}

impl PaxFields {
    fn of<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Self> {
        let read = |source| Error::ReadArchive { source };
        let mut fields = Self::default();
        let Some(extensions) = entry.pax_extensions().map_err(read)? else {
            return Ok(fields);
        };
        for extension in extensions {
            let extension = extension.map_err(read)?;
            let Ok(value) = std::str::from_utf8(extension.value_bytes()) else {
                continue;
            };
            match extension.key_bytes() {
                b"uid" => fields.uid = value.parse().ok(),
                b"gid" => fields.gid = value.parse().ok(),
                b"mtime" => {
                    let seconds = value.split_once('.').map_or(value, |(whole, _)| whole);
                    fields.mtime = seconds.parse().ok();
                }
                _ => {}
            }
        }
        Ok(fields)
    }
}

/// The owner of an entry, with PAX `uid`/`gid` records applied.
pub(crate) fn owner<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<(u32, u32)> {
    let read = |source| Error::ReadArchive { source };
    let pax = PaxFields::of(entry)?;
    let header = entry.header();
    let uid = pax.uid.map_or_else(|| header.uid().map_err(read), Ok)?;
    let gid = pax.gid.map_or_else(|| header.gid().map_err(read), Ok)?;
    let narrow = |id: u64| u32::try_from(id).unwrap_or(u32::MAX);
    Ok((narrow(uid), narrow(gid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(tar: &[u8]) -> Vec<(LayerEntry, Vec<u8>)> {
        let mut seen = Vec::new();
        for_each_tar_entry(tar, |entry, data| {
            let mut contents = Vec::new();
            data.read_to_end(&mut contents)
                .map_err(|source| Error::ReadArchive { source })?;
            seen.push((entry.clone(), contents));
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn pax_records_override_owners_and_mtime_and_names_lose_trailing_slashes() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_ustar();
        dir.set_entry_type(EntryType::Directory);
        dir.set_mode(0o40755);
        dir.set_mtime(7);
        dir.set_uid(0);
        dir.set_gid(0);
        dir.set_size(0);
        dir.set_cksum();
        builder
            .append_data(&mut dir, "a/", std::io::empty())
            .unwrap();
        builder
            .append_pax_extensions([
                ("uid", &b"3000000"[..]),
                ("gid", &b"12"[..]),
                ("mtime", &b"1700000000.25"[..]),
            ])
            .unwrap();
        let mut file = tar::Header::new_ustar();
        file.set_mode(0o600);
        file.set_uid(1);
        file.set_gid(1);
        file.set_mtime(9);
        file.set_size(2);
        file.set_cksum();
        builder.append_data(&mut file, "a/f", &b"hi"[..]).unwrap();
        let tar = builder.into_inner().unwrap();

        let seen = entries(&tar);
        assert_eq!(seen.len(), 2);
        let (dir, _) = &seen[0];
        assert_eq!(dir.header.name, b"a");
        assert_eq!(dir.header.kind, EntryKind::Directory);
        assert_eq!(dir.header.mode, 0o755);
        assert_eq!(dir.mtime, 7);
        let (file, contents) = &seen[1];
        assert_eq!(
            (file.header.uid, file.header.gid, file.mtime),
            (3_000_000, 12, 1_700_000_000)
        );
        assert_eq!((file.header.size, contents.as_slice()), (2, &b"hi"[..]));
    }

    #[test]
    fn unread_contents_are_skipped() {
        let tar = {
            let mut builder = tar::Builder::new(Vec::new());
            for (name, data) in [("one", &b"1111"[..]), ("two", &b"22"[..])] {
                let mut header = tar::Header::new_ustar();
                header.set_mode(0o644);
                header.set_uid(0);
                header.set_gid(0);
                header.set_mtime(0);
                header.set_size(data.len() as u64);
                header.set_cksum();
                builder.append_data(&mut header, name, data).unwrap();
            }
            builder.into_inner().unwrap()
        };
        let mut names = Vec::new();
        for_each_tar_entry(tar.as_slice(), |entry, _| {
            names.push(entry.header.name.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(names, [b"one".to_vec(), b"two".to_vec()]);
    }
}
