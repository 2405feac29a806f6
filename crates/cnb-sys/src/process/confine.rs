//! Starting a child inside a root directory, in a working directory there, as a user: what a
//! Dockerfile's `RUN` needs. The extender applies Dockerfiles to the root it runs in (`/`, no
//! `chroot`); tests apply them to an image root in a temporary directory.
#![allow(
    unsafe_code,
    reason = "chroot, chdir and the id switch between fork and exec need a pre_exec hook"
)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::{Gid, Uid, chdir, chroot, setgroups, setresgid, setresuid};

use super::{Error, c_string};

/// Where and as whom a child runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confinement {
    /// The directory that becomes the child's `/`; `/` itself means no `chroot`.
    pub root: PathBuf,
    /// The working directory, inside `root`.
    pub cwd: PathBuf,
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// Supplementary group ids (the primary one is always added).
    pub groups: Vec<u32>,
}

/// Makes `command` start confined: `chroot` to the root (unless it is `/`), `chdir` to the
/// working directory, then the supplementary groups, group and user (real, effective and
/// saved) switched, all in the child before `exec`. Do not also set `current_dir`, `uid` or
/// `gid` on `command`: std applies those before this hook.
pub fn confine(command: &mut Command, confinement: &Confinement) -> Result<(), Error> {
    let root = (confinement.root != Path::new("/"))
        .then(|| c_string(confinement.root.as_os_str()))
        .transpose()?;
    let cwd = c_string(confinement.cwd.as_os_str())?;
    let uid = Uid::from_raw(confinement.uid);
    let gid = Gid::from_raw(confinement.gid);
    let mut groups: Vec<Gid> = vec![gid];
    groups.extend(
        confinement
            .groups
            .iter()
            .filter(|g| **g != confinement.gid)
            .map(|g| Gid::from_raw(*g)),
    );
    let switch = nix::unistd::getuid().is_root();
    // SAFETY: the hook runs in the forked child before exec. It only makes the chroot, chdir,
    // setgroups, setresgid and setresuid system calls on values prepared above; none of them
    // allocates or takes a lock.
    unsafe {
        command.pre_exec(move || {
            if let Some(root) = &root {
                chroot(root.as_c_str()).map_err(std::io::Error::from)?;
            }
            chdir(cwd.as_c_str()).map_err(std::io::Error::from)?;
            if switch {
                setgroups(&groups).map_err(std::io::Error::from)?;
                setresgid(gid, gid, gid).map_err(std::io::Error::from)?;
                setresuid(uid, uid, uid).map_err(std::io::Error::from)?;
            }
            Ok(())
        });
    }
    Ok(())
}
