//! The instructions that only change the image config: LABEL, USER, CMD, ENTRYPOINT, EXPOSE,
//! VOLUME, STOPSIGNAL, MAINTAINER, HEALTHCHECK and ONBUILD (ENV, ARG, SHELL and WORKDIR are in
//! the state and the applier).

use std::collections::BTreeMap;

use cnb_dockerfile::{KeyValue, ShellOrExec};
use serde_json::{Value, json};

use crate::error::StepError;
use crate::state::State;

/// LABEL: every key and value expanded with the variables before the instruction.
pub(crate) fn label(state: &mut State, pairs: &[KeyValue]) -> Result<(), StepError> {
    let expanded = pairs
        .iter()
        .map(|pair| Ok((state.expand(&pair.key)?, state.expand(&pair.value)?)))
        .collect::<Result<Vec<_>, StepError>>()?;
    let labels = state.config.labels.get_or_insert_with(BTreeMap::new);
    labels.extend(expanded);
    Ok(())
}

/// The argument vector of a CMD or ENTRYPOINT.
pub(crate) fn command_vector(state: &State, command: &ShellOrExec) -> Vec<String> {
    match command {
        ShellOrExec::Exec(argv) => argv.clone(),
        ShellOrExec::Shell(line) => {
            let mut argv = state.shell();
            argv.push(line.clone());
            argv
        }
    }
}

/// EXPOSE: `port[/proto]` entries, `tcp` unless given.
pub(crate) fn expose(state: &mut State, ports: &[String]) -> Result<(), StepError> {
    for port in ports {
        let port = state.expand(port)?;
        let entry = if port.contains('/') {
            port.to_ascii_lowercase()
        } else {
            format!("{port}/tcp")
        };
        state
            .config
            .exposed_ports
            .get_or_insert_with(BTreeMap::new)
            .insert(entry, json!({}));
    }
    Ok(())
}

/// VOLUME: mount points.
pub(crate) fn volume(state: &mut State, paths: &[String]) -> Result<(), StepError> {
    for path in paths {
        let path = state.expand(path)?;
        state
            .config
            .volumes
            .get_or_insert_with(BTreeMap::new)
            .insert(path, json!({}));
    }
    Ok(())
}

/// ONBUILD: the trigger as written.
pub(crate) fn onbuild(state: &mut State, trigger: &str) {
    let list = state
        .config
        .other
        .entry("OnBuild".to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = list {
        items.push(Value::String(trigger.to_owned()));
    }
}

/// HEALTHCHECK: `NONE`, or `[--interval=…] [--timeout=…] [--start-period=…]
/// [--start-interval=…] [--retries=…] CMD <command>`, as Docker stores it (durations in
/// nanoseconds).
pub(crate) fn healthcheck(state: &mut State, raw: &str) -> Result<(), StepError> {
    let invalid = || StepError::Invalid {
        what: "HEALTHCHECK",
        value: raw.to_owned(),
    };
    let mut rest = raw.trim();
    if rest.eq_ignore_ascii_case("NONE") {
        state
            .config
            .other
            .insert("Healthcheck".to_owned(), json!({ "Test": ["NONE"] }));
        return Ok(());
    }
    let mut check = serde_json::Map::new();
    while let Some(flag) = rest.strip_prefix("--") {
        let end = flag.find(char::is_whitespace).ok_or_else(invalid)?;
        let (name, value) = flag[..end].split_once('=').ok_or_else(invalid)?;
        rest = flag[end..].trim_start();
        let (key, value) = match name {
            "interval" => (
                "Interval",
                json!(duration_nanos(value).ok_or_else(invalid)?),
            ),
            "timeout" => ("Timeout", json!(duration_nanos(value).ok_or_else(invalid)?)),
            "start-period" => (
                "StartPeriod",
                json!(duration_nanos(value).ok_or_else(invalid)?),
            ),
            "start-interval" => (
                "StartInterval",
                json!(duration_nanos(value).ok_or_else(invalid)?),
            ),
            "retries" => (
                "Retries",
                json!(value.parse::<u64>().map_err(|_| invalid())?),
            ),
            _ => return Err(invalid()),
        };
        check.insert(key.to_owned(), value);
    }
    let (word, command) = rest.split_once(char::is_whitespace).ok_or_else(invalid)?;
    if !word.eq_ignore_ascii_case("CMD") {
        return Err(invalid());
    }
    let test = match cnb_dockerfile::Dockerfile::parse(&format!("FROM x\nCMD {command}")) {
        Ok(parsed) => match parsed.instructions().next().map(|i| &i.command) {
            Some(cnb_dockerfile::Command::Cmd(ShellOrExec::Exec(argv))) => {
                let mut test = vec!["CMD".to_owned()];
                test.extend(argv.iter().cloned());
                test
            }
            _ => vec!["CMD-SHELL".to_owned(), command.trim().to_owned()],
        },
        Err(_) => return Err(invalid()),
    };
    check.insert("Test".to_owned(), json!(test));
    state
        .config
        .other
        .insert("Healthcheck".to_owned(), Value::Object(check));
    Ok(())
}

/// A Go duration (`30s`, `1m30s`, `500ms`, `2h`) in nanoseconds.
fn duration_nanos(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(unit)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnb_dockerfile::Dockerfile;
    use cnb_image::RuntimeConfig;

    fn state() -> State {
        let dockerfile = Dockerfile::parse("FROM x\n").unwrap();
        State::new(RuntimeConfig::default(), &dockerfile, Vec::new()).unwrap()
    }

    #[test]
    fn healthcheck_is_stored_as_docker_stores_it() {
        let mut s = state();
        healthcheck(
            &mut s,
            "--interval=30s --retries=3 CMD curl -f http://localhost/",
        )
        .unwrap();
        assert_eq!(
            s.config.other["Healthcheck"],
            json!({"Interval": 30_000_000_000_u64, "Retries": 3, "Test": ["CMD-SHELL", "curl -f http://localhost/"]})
        );
        healthcheck(&mut s, "CMD [\"/bin/check\", \"-q\"]").unwrap();
        assert_eq!(
            s.config.other["Healthcheck"],
            json!({"Test": ["CMD", "/bin/check", "-q"]})
        );
        healthcheck(&mut s, "NONE").unwrap();
        assert_eq!(s.config.other["Healthcheck"], json!({"Test": ["NONE"]}));
        assert!(healthcheck(&mut s, "--bogus=1 CMD x").is_err());
        assert_eq!(duration_nanos("1m30s"), Some(90_000_000_000));
        assert_eq!(duration_nanos("10"), None);
    }

    #[test]
    fn expose_defaults_to_tcp_and_volume_records_paths() {
        let mut s = state();
        expose(&mut s, &["8080".into(), "53/UDP".into()]).unwrap();
        volume(&mut s, &["/data".into()]).unwrap();
        let ports: Vec<_> = s
            .config
            .exposed_ports
            .as_ref()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(ports, ["53/udp", "8080/tcp"]);
        assert!(s.config.volumes.as_ref().unwrap().contains_key("/data"));
    }
}
