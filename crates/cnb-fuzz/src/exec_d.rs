//! What an exec.d executable writes to fd 3, through the launcher's own reader
//! (`cnb_launcher::exec_d::apply_output`): all of it is set, or none of it.

use std::ffi::OsStr;
use std::path::Path;

use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::exec_d::ExecDOutput;

use crate::input::one_line;

const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

pub(crate) fn exec_d(data: &[u8]) {
    let executable = Path::new("/layers/fuzz_buildpack/layer/exec.d/fuzz");
    let mut env = Env::for_launch([("PATH".into(), PATH.into())], &[]);
    match cnb_launcher::exec_d::apply_output(executable, data.to_vec(), &mut env) {
        Ok(()) => {
            let text = std::str::from_utf8(data).expect("accepted output is UTF-8");
            let ExecDOutput(values) =
                ExecDOutput::parse(text, executable).expect("accepted output parses");
            for (name, value) in &values {
                assert_eq!(env.get(name), Some(OsStr::new(value)), "{name} was not set");
            }
            if !values.contains_key("PATH") {
                assert_eq!(env.get("PATH"), Some(OsStr::new(PATH)));
            }
        }
        Err(error) => {
            one_line(&error);
            let vars: Vec<_> = env.vars().collect();
            assert_eq!(
                vars,
                [(OsStr::new("PATH"), OsStr::new(PATH))],
                "refused output changed the environment"
            );
        }
    }
}
