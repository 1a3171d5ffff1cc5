//! Programs written by others, driven from a test: Python packages from
//! PyPI installed under the target dir, and a child process that is killed
//! (by its PID) when the test is done with it and whose output a failing
//! test prints.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;

/// A Python path in which `import {module}` works: `requirement` (a pip
/// requirement) goes into `target/tmp/{dir}` (`pip install --target`) the
/// first time. Panics, loudly, if it can't be installed (no network, no
/// pip): a CI machine without it must not pass a test by skipping it.
pub fn python_package(dir: &str, requirement: &str, module: &str) -> PathBuf {
    let site = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let importable = || {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .env("PYTHONPATH", &site)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if importable() {
        return site;
    }
    let install = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--upgrade",
            "--target",
        ])
        .arg(&site)
        .arg(requirement)
        .output();
    let why = match install {
        Ok(out) if out.status.success() && importable() => return site,
        Ok(out) => format!(
            "{}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("can't run python3: {e}"),
    };
    panic!(
        "this test needs the Python package {requirement:?} and could not install it with \
         `python3 -m pip install --quiet --disable-pip-version-check --upgrade --target {} \
         '{requirement}'` (is there a network?): {why}",
        site.display()
    );
}

/// A child process killed (by its PID) when the test is done with it, whose
/// output is printed if the test fails. The child leads a process group of
/// its own, and the whole group is killed: a browser script's chromedriver
/// and Chromium would otherwise outlive a script killed mid-test (they piled
/// up by the dozen on a busy machine).
pub struct ChildGuard {
    child: Option<Child>,
    /// What the failure report calls it.
    name: &'static str,
}

impl ChildGuard {
    /// Starts `python3 SCRIPT ARGS` (a path under this crate) with
    /// `site` on its Python path, its output kept for the report as `name`.
    pub fn python(script: &str, args: &[String], site: &Path, name: &'static str) -> ChildGuard {
        let child = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
            .args(args)
            .env("PYTHONPATH", site)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start python3");
        ChildGuard {
            child: Some(child),
            name,
        }
    }

    /// Waits for the child to end; its status and all it printed.
    pub fn wait(&mut self) -> (ExitStatus, String) {
        let child = self.child.take().expect("waited once");
        let group = child.id();
        let out = child.wait_with_output().expect("wait for the child");
        // Whatever the script left behind (a driver it never quit) goes too.
        kill_group(group);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status, text)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_group(child.id());
            if let Ok(out) = child.wait_with_output() {
                if thread::panicking() {
                    eprintln!(
                        "---- {} ----\n{}{}",
                        self.name,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
    }
}

/// Kills process group `group` by its id (no unsafe code in the tests, so
/// `kill(1)` rather than libc); a group already gone is fine.
fn kill_group(group: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}
