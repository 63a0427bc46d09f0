//! A server example run as its users run it: a process of its own on an
//! ephemeral port (`--port 0`), read for its `listening on` line, stopped
//! by a signal, and killed by a guard if the test fails first. The same
//! harness runs the Python program an example mirrors, for comparison.

use std::{
    ffi::c_int,
    io::Read,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc::Receiver,
    thread::{self, JoinHandle},
    time::{Duration, Instant, SystemTime},
};

/// How long a server has to print a line or to end after a signal.
pub const WAIT: Duration = Duration::from_secs(10);

/// Which program serves: one of ours, or the Python it mirrors.
#[derive(Clone, Copy, Debug)]
pub enum Program {
    /// `examples/NAME.rs`, built by `cargo test` beside the test binaries.
    Example(&'static str),
    /// `examples/python/NAME`, run with `python3`.
    Python(&'static str),
}

impl Program {
    fn command(self) -> Command {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        match self {
            Self::Example(name) => {
                let binary = example_binary(name);
                let built = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
                let sources = [
                    root.join("src"),
                    root.join("examples/common"),
                    root.join(format!("examples/{name}.rs")),
                ];
                // `cargo test --test NAME` builds no example: an old
                // binary would be tested in place of the code.
                assert!(
                    built.is_some_and(|built| sources.iter().all(|s| newest(s) <= built)),
                    "{} is missing or older than its sources: `cargo test` builds the \
                     examples (or `cargo build --examples` before `cargo test --test ...`)",
                    binary.display()
                );
                Command::new(binary)
            }
            Self::Python(script) => {
                let mut command = Command::new("python3");
                command
                    .arg(root.join("examples/python").join(script))
                    .env("PYTHONDONTWRITEBYTECODE", "1");
                command
            }
        }
    }
}

/// When the newest file under `path` (or `path`, a file) was modified.
fn newest(path: &Path) -> SystemTime {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let Ok(entries) = std::fs::read_dir(path) else {
        return modified;
    };
    entries
        .flatten()
        .map(|entry| newest(&entry.path()))
        .fold(modified, SystemTime::max)
}

/// Where cargo puts example `name` for the profile this test was built in.
pub fn example_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary.parent().and_then(Path::parent).unwrap();
    profile_dir.join("examples").join(name)
}

/// A running server; killed when dropped if it has not ended.
pub struct ExampleServer {
    program: Program,
    child: Child,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    port: u16,
}

/// How a server ended after [`ExampleServer::stop`].
#[derive(Debug)]
pub struct Stopped {
    pub status: ExitStatus,
    /// What it printed after the lines already read.
    pub lines: Vec<String>,
    pub stderr: String,
}

impl ExampleServer {
    /// Starts `program` with `--port 0` and reads its first line, which
    /// must be `listening on 127.0.0.1:PORT`.
    pub fn start(program: Program) -> Self {
        Self::start_with(program, &["--port", "0"])
    }

    /// Starts `program` with `args`, and reads its `listening on` line.
    pub fn start_with(program: Program, args: &[&str]) -> Self {
        let mut child = program
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program:?} does not start: {e}"));
        let lines = super::lines_of(child.stdout.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut server = Self {
            program,
            child,
            lines,
            stderr: Some(stderr),
            port: 0,
        };
        let first = server.line();
        server.port = first
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("{program:?}'s first line: {first:?}"));
        server
    }

    /// The port it says it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The next line it prints; panics after [`WAIT`].
    pub fn line(&mut self) -> String {
        match self.lines.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(e) => panic!("{:?} printed no line within {WAIT:?} ({e})", self.program),
        }
    }

    /// The next `n` lines it prints.
    pub fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The most memory it has held resident so far (`VmHWM`), in KiB.
    pub fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|kib| kib.trim().trim_end_matches(" kB").parse().ok())
            .expect("/proc/PID/status has VmHWM")
    }

    /// Sends it `signal` (it runs on: see [`wait`](Self::wait)).
    pub fn signal(&self, signal: c_int) {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed: {sent}");
    }

    /// Waits (at most [`WAIT`]) for it to end.
    pub fn wait(mut self) -> Stopped {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < WAIT,
                "{:?} still runs {WAIT:?} after its signal",
                self.program
            );
            thread::sleep(Duration::from_millis(10));
        };
        Stopped {
            status,
            lines: self.lines.iter().collect(),
            stderr: self.stderr.take().unwrap().join().unwrap(),
        }
    }

    /// Sends it `signal` and waits (at most [`WAIT`]) for it to end.
    pub fn stop(self, signal: c_int) -> Stopped {
        self.signal(signal);
        self.wait()
    }
}

impl Drop for ExampleServer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
