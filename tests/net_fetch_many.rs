//! `examples/fetch_many` (and the Python it mirrors) tells course notes
//! 004's story with real sockets: waiting pages fetched together take the
//! time of one, five at a time the time of four, one after another the
//! time of twenty; a timed-out or cancelled fetch leaves nothing open.
//! Run at `--scale 0.2` (pages of 0.1 s); the times are checked only
//! against each other, loosely.
#![cfg(unix)]

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// What `command` prints; it must end with status 0 within 60 s.
fn output_of(mut command: Command) -> String {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reading = thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish in 60 s");
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{command:?}: {status}");
    reading.join().unwrap()
}

/// The seconds at the end of the line that starts with `start`.
fn seconds(output: &str, start: &str) -> f64 {
    let line = output
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start:?} in:\n{output}"));
    line.trim_end_matches(" s")
        .rsplit(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no time at the end of {line:?}"))
}

fn assert_tells_the_story(output: &str) {
    let one_by_one = seconds(output, "20 pages of /sleep?s=0.10, one after another:");
    let gathered = seconds(
        output,
        "20 pages of /sleep?s=0.10, all at once with gather:",
    );
    let limited = seconds(
        output,
        "20 pages of /sleep?s=0.10, 5 at a time with a Semaphore:",
    );
    // Twenty waits, four rounds of five, one round: 2 s, 0.4 s, 0.1 s
    // if nothing else took time.
    assert!(one_by_one >= 2.0, "{output}");
    assert!(limited >= 0.4, "{output}");
    assert!(gathered < limited && limited < one_by_one, "{output}");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 5, "{output}");
    assert!(
        lines[3].starts_with("wait_for gave up on /sleep?s=0.40 after ")
            && lines[3].ends_with(" s: TimeoutError"),
        "{output}"
    );
    let (cancelled, descriptors) = lines[4].split_once("; ").unwrap();
    assert_eq!(
        cancelled,
        "a fetch of /sleep?s=0.40 cancelled (CancelledError): the server holds 0 connections"
    );
    let counts: Vec<&str> = descriptors.split(' ').collect();
    assert_eq!(counts.len(), 7, "{descriptors}");
    assert_eq!(
        counts[0], counts[5],
        "descriptors before and after: {descriptors}"
    );
}

#[test]
fn fetching_together_takes_the_time_of_one_page_and_a_cancelled_fetch_leaves_nothing_open() {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary.parent().and_then(Path::parent).unwrap();
    let mut ours = Command::new(profile_dir.join("examples/fetch_many"));
    ours.args(["--scale", "0.2"]);
    assert_tells_the_story(&output_of(ours));
}

#[test]
fn the_python_fetch_many_tells_the_same_story() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/python");
    let mut cpython = Command::new("python3");
    cpython
        .args(["fetch_many.py", "--scale", "0.2"])
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    assert_tells_the_story(&output_of(cpython));
}
