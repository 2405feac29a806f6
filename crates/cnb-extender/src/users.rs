//! Users and groups as the image knows them (its `/etc/passwd` and `/etc/group`), for USER
//! and `--chown`, with Docker's rules: `user[:group]`, names or numbers; an unknown name is an
//! error; a number needs no entry (its group is then 0 for USER, and the same number for
//! `--chown`); USER without a group gets the user's primary group and the groups that list
//! the user as a member.

use std::path::{Path, PathBuf};

use crate::error::StepError;
use crate::scope;

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";

/// Who a RUN runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The home directory (`HOME` unless the environment sets one).
    pub home: String,
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// The image's users and groups, read when needed (a RUN may have added some).
pub(crate) struct Users {
    passwd: Vec<PasswdEntry>,
    groups: Vec<GroupEntry>,
}

impl Users {
    /// Reads `/etc/passwd` and `/etc/group` under `root`; missing files hold nobody.
    pub(crate) fn read(root: &Path) -> Result<Self, StepError> {
        let passwd = read_lines(root, PASSWD)?
            .iter()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                Some(PasswdEntry {
                    name: (*fields.first()?).to_owned(),
                    uid: fields.get(2)?.parse().ok()?,
                    gid: fields.get(3)?.parse().ok()?,
                    home: fields.get(5).copied().unwrap_or("/").to_owned(),
                })
            })
            .collect();
        let groups = read_lines(root, GROUP)?
            .iter()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                Some(GroupEntry {
                    name: (*fields.first()?).to_owned(),
                    gid: fields.get(2)?.parse().ok()?,
                    members: fields
                        .get(3)
                        .map(|m| {
                            m.split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect();
        Ok(Self { passwd, groups })
    }

    /// The account a USER value (`""` is root) names.
    pub(crate) fn account(&self, spec: &str) -> Result<Account, StepError> {
        let (user, group) = split(spec);
        let user = if user.is_empty() { "0" } else { user };
        let entry = self.user_entry(user)?;
        let uid = match (entry, user.parse::<u32>()) {
            (Some(entry), _) => entry.uid,
            (None, Ok(uid)) => uid,
            (None, Err(_)) => unreachable_user(user)?,
        };
        let home = entry.map_or_else(|| "/".to_owned(), |e| e.home.clone());
        let (gid, groups) = if let Some(group) = group {
            (self.group_id(group)?, Vec::new())
        } else {
            let gid = entry.map_or(0, |e| e.gid);
            let groups = entry
                .map(|e| {
                    self.groups
                        .iter()
                        .filter(|g| g.members.contains(&e.name))
                        .map(|g| g.gid)
                        .collect()
                })
                .unwrap_or_default();
            (gid, groups)
        };
        Ok(Account {
            uid,
            gid,
            groups,
            home,
        })
    }

    /// The owner a `--chown` value names.
    pub(crate) fn owner(&self, spec: &str) -> Result<(u32, u32), StepError> {
        let (user, group) = split(spec);
        let uid = match user.parse::<u32>() {
            Ok(uid) => uid,
            Err(_) => self
                .user_entry(user)?
                .map_or_else(|| unreachable_user(user), |e| Ok(e.uid))?,
        };
        let gid = match group {
            Some(group) => self.group_id(group)?,
            None => uid,
        };
        Ok((uid, gid))
    }

    /// The passwd entry of `user` (a name or a number); an unknown name is an error, an
    /// unknown number is `None`.
    fn user_entry(&self, user: &str) -> Result<Option<&PasswdEntry>, StepError> {
        if let Ok(uid) = user.parse::<u32>() {
            return Ok(self.passwd.iter().find(|e| e.uid == uid));
        }
        self.passwd
            .iter()
            .find(|e| e.name == user)
            .map(Some)
            .ok_or_else(|| StepError::UnknownUser {
                what: "user",
                name: user.to_owned(),
                file: PathBuf::from(PASSWD),
            })
    }

    fn group_id(&self, group: &str) -> Result<u32, StepError> {
        if let Ok(gid) = group.parse::<u32>() {
            return Ok(gid);
        }
        self.groups
            .iter()
            .find(|g| g.name == group)
            .map(|g| g.gid)
            .ok_or_else(|| StepError::UnknownUser {
                what: "group",
                name: group.to_owned(),
                file: PathBuf::from(GROUP),
            })
    }
}

fn unreachable_user(user: &str) -> Result<u32, StepError> {
    Err(StepError::UnknownUser {
        what: "user",
        name: user.to_owned(),
        file: PathBuf::from(PASSWD),
    })
}

/// `user[:group]`.
fn split(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    }
}

fn read_lines(root: &Path, file: &str) -> Result<Vec<String>, StepError> {
    let path = scope::resolve(root, Path::new(file)).map_err(StepError::io("resolving", file))?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(StepError::Io {
            action: "reading",
            path,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn users() -> (tempfile::TempDir, Users) {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        std::fs::write(
            root.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            root.path().join("etc/group"),
            "root:x:0:\ncnb:x:1000:\nstaff:x:50:cnb,other\n",
        )
        .unwrap();
        let users = Users::read(root.path()).unwrap();
        (root, users)
    }

    #[test]
    fn user_names_and_numbers_resolve_as_docker_resolves_them() {
        let (_root, users) = users();
        assert_eq!(
            users.account("cnb").unwrap(),
            Account {
                uid: 1000,
                gid: 1000,
                groups: vec![50],
                home: "/home/cnb".into()
            }
        );
        assert_eq!(users.account("").unwrap().home, "/root");
        let unknown_number = users.account("4242").unwrap();
        assert_eq!((unknown_number.uid, unknown_number.gid), (4242, 0));
        assert_eq!(unknown_number.home, "/");
        let with_group = users.account("1000:staff").unwrap();
        assert_eq!((with_group.uid, with_group.gid), (1000, 50));
        assert!(matches!(
            users.account("nobody"),
            Err(StepError::UnknownUser { what: "user", .. })
        ));
        assert!(matches!(
            users.account("cnb:nogroup"),
            Err(StepError::UnknownUser { what: "group", .. })
        ));
    }

    #[test]
    fn chown_without_a_group_uses_the_user_number_as_group() {
        let (_root, users) = users();
        assert_eq!(users.owner("cnb").unwrap(), (1000, 1000));
        assert_eq!(users.owner("4242").unwrap(), (4242, 4242));
        assert_eq!(users.owner("cnb:root").unwrap(), (1000, 0));
    }
}
