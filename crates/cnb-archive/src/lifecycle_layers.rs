//! The layers the lifecycle itself contributes to an app image (lifecycle-tests.md §2.6,
//! §4.3): the launcher, and the `/cnb/process` symlinks that make each process type a
//! command. Everything in them is root-owned and 0755.

use std::fs::{self, File};
use std::path::Path;

use crate::{EntrySink, Error, Header, Result};

/// Where the launcher lives in the image.
pub const LAUNCHER_PATH: &str = "/cnb/lifecycle/launcher";
/// Characters a process type may not contain (it becomes a file name under `/cnb/process`).
const FORBIDDEN_IN_TYPE: &[char] = &['/', '>', '<', ':', '|', '&', '\\'];

fn root_dir(name: &str) -> Header {
    Header::directory(name, 0o755)
}

/// Appends the launcher layer: `/cnb`, `/cnb/lifecycle`, then the file at `launcher` (read
/// through symlinks) as `/cnb/lifecycle/launcher`.
pub fn add_launcher(sink: &mut dyn EntrySink, launcher: &Path) -> Result<()> {
    let inspect = |source| Error::Inspect {
        path: launcher.to_owned(),
        source,
    };
    let meta = fs::metadata(launcher).map_err(inspect)?;
    let mut file = File::open(launcher).map_err(|source| Error::ReadFile {
        path: launcher.to_owned(),
        source,
    })?;
    sink.append(&root_dir("/cnb"), &mut std::io::empty())?;
    sink.append(&root_dir("/cnb/lifecycle"), &mut std::io::empty())?;
    sink.append(
        &Header::regular(LAUNCHER_PATH, 0o755, meta.len()),
        &mut file,
    )
}

/// Appends the process-types layer: `/cnb`, `/cnb/process`, then one symlink
/// `/cnb/process/<type>` → the launcher per type, in the order given. Every type is checked
/// before anything is written.
pub fn add_process_types<S: AsRef<str>>(sink: &mut dyn EntrySink, types: &[S]) -> Result<()> {
    for kind in types {
        let kind = kind.as_ref();
        if kind.is_empty() {
            return Err(Error::MissingProcessType);
        }
        if kind.contains(FORBIDDEN_IN_TYPE) {
            return Err(Error::InvalidProcessType(kind.to_owned()));
        }
    }
    sink.append(&root_dir("/cnb"), &mut std::io::empty())?;
    sink.append(&root_dir("/cnb/process"), &mut std::io::empty())?;
    for kind in types {
        let name = format!("/cnb/process/{}", kind.as_ref());
        let link = Header::symlink(name, LAUNCHER_PATH, 0o755);
        sink.append(&link, &mut std::io::empty())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TarWriter;

    /// (name, typeflag, mode, uid, link) of each entry, read back with the `tar` crate.
    fn entries(tar: &[u8]) -> Vec<(String, u8, u32, u64, String)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                (
                    String::from_utf8(entry.path_bytes().into_owned()).unwrap(),
                    header.entry_type().as_byte(),
                    header.mode().unwrap(),
                    header.uid().unwrap(),
                    entry
                        .link_name_bytes()
                        .map(|link| String::from_utf8(link.into_owned()).unwrap())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn the_launcher_layer_holds_root_owned_0755_entries() {
        let dir = tempfile::tempdir().unwrap();
        let launcher = dir.path().join("launcher");
        fs::write(&launcher, b"#!launcher").unwrap();
        let mut writer = TarWriter::new(Vec::new());
        add_launcher(&mut writer, &launcher).unwrap();
        let tar = writer.finish().unwrap();
        assert_eq!(
            entries(&tar),
            [
                ("/cnb".into(), b'5', 0o755, 0, String::new()),
                ("/cnb/lifecycle".into(), b'5', 0o755, 0, String::new()),
                (LAUNCHER_PATH.into(), b'0', 0o755, 0, String::new()),
            ]
        );
        assert_eq!(&tar[3 * 512..3 * 512 + 10], b"#!launcher");
    }

    #[test]
    fn process_types_become_symlinks_to_the_launcher() {
        let mut writer = TarWriter::new(Vec::new());
        add_process_types(&mut writer, &["web", "worker"]).unwrap();
        let tar = writer.finish().unwrap();
        let listed = entries(&tar);
        assert_eq!(listed.len(), 4);
        assert_eq!(
            listed[1],
            ("/cnb/process".into(), b'5', 0o755, 0, String::new())
        );
        assert_eq!(
            listed[3],
            (
                "/cnb/process/worker".into(),
                b'2',
                0o755,
                0,
                LAUNCHER_PATH.into()
            )
        );
    }

    #[test]
    fn refuses_empty_and_path_like_process_types() {
        let mut writer = TarWriter::new(Vec::new());
        let err = add_process_types(&mut writer, &["web", ""]).unwrap_err();
        assert_eq!(err.to_string(), "type is required for all processes");
        let err = add_process_types(&mut writer, &["we/b"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid process type 'we/b': type may not contain characters '/><:|&\\'"
        );
        // nothing was written before the check failed
        assert_eq!(writer.finish().unwrap(), vec![0u8; 1024]);
    }
}
