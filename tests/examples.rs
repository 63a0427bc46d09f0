//! The examples print what the Python programs they come from print.

mod trace;

#[allow(dead_code)]
#[path = "../examples/robot_worker.rs"]
mod robot_worker;

use std::{cell::RefCell, io::Cursor, rc::Rc};

/// Runs `f` with an `Output` that captures what it prints.
fn captured(f: impl FnOnce(robot_worker::Output)) -> String {
    let buffer = Rc::new(RefCell::new(Vec::new()));
    let out = robot_worker::Output(buffer.clone());
    f(out);
    String::from_utf8(buffer.borrow().clone()).unwrap()
}

#[test]
fn robot_worker_replays_the_notes_session_printing_exactly_what_cpython_prints() {
    let printed = captured(|out| robot_worker::replay(out).unwrap());
    // Recorded from CPython 3.11 running the notes' program.
    let expected = include_str!("../examples/expected/robot_worker.txt");
    assert_eq!(printed, expected);
    assert_eq!(printed.lines().count(), 26);
}

#[test]
fn robot_worker_interactive_reports_each_reply_and_state_and_closes_at_the_end() {
    let script = "4\nПочистить кеш\nnext\n2\n";
    let printed = captured(|out| robot_worker::interactive(Cursor::new(script), out).unwrap());
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [
            "Готов к работе (GEN_CREATED)",
            "40",
            "[GEN_SUSPENDED]",
            "Кеш очистен",
            "[GEN_SUSPENDED]",
            "[GEN_SUSPENDED]",
            "20",
            "[GEN_SUSPENDED]",
            "Вы выключели РОБОТА!",
            "[GEN_CLOSED]",
        ]
    );
}

#[test]
fn robot_worker_interactive_explains_a_task_sent_during_self_diagnostics() {
    let script = "самодиагностика\nnext\n7\n4\n";
    let printed = captured(|out| robot_worker::interactive(Cursor::new(script), out).unwrap());
    let lines: Vec<_> = printed.lines().collect();
    assert_eq!(lines[1], "self-diagnostics step 0");
    assert_eq!(lines[3], "self-diagnostics step 1");
    assert!(
        lines[5].contains("AttributeError: 'range_iterator' object has no attribute 'send'")
            && lines[5].contains("task 7 was not delivered"),
        "{}",
        lines[5]
    );
    // As in CPython, the robot is dead: nothing more is delivered, and no
    // goodbye is printed on close.
    assert_eq!(lines[6], "[GEN_CLOSED]");
    assert_eq!(lines[7], "[GEN_CLOSED]");
    assert!(!printed.contains("Вы выключели"));
}

/// The output of an example built by `cargo test` (which builds every
/// example before it runs the tests), run with `args`.
fn example_output(name: &str, args: &[&str]) -> String {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap();
    let binary = profile_dir.join("examples").join(name);
    let output = std::process::Command::new(&binary)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", binary.display()));
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Each expected file is what the Python program prints under CPython 3.11:
/// `examples/python/generator_basics.py` for the first, and for the others
/// the seed programs of `tests/python/seed_programs.py` on CPython's own
/// event loop with a virtual clock.
#[test]
fn every_example_prints_what_cpython_prints_for_its_python_program() {
    let cases = [
        (
            "generator_basics",
            include_str!("../examples/expected/generator_basics.txt"),
        ),
        (
            "two_powers",
            include_str!("../examples/expected/two_powers_ten.txt"),
        ),
        (
            "interrupts",
            include_str!("../examples/expected/interrupts.txt"),
        ),
        ("tasks", include_str!("../examples/expected/tasks.txt")),
        (
            "event_loop_basics",
            include_str!("../examples/expected/event_loop_basics.txt"),
        ),
        (
            "robot_worker",
            include_str!("../examples/expected/robot_worker.txt"),
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(
            example_output(name, &["--virtual"]),
            expected,
            "example {name}"
        );
    }
}

/// The interrupts example, as the notes' program: it runs until Ctrl+C,
/// then ends as CPython ends on `KeyboardInterrupt` (course notes 000).
#[cfg(unix)]
#[test]
fn interrupts_runs_until_ctrl_c_then_stops_as_cpython_does() {
    use std::{
        io::{BufRead, BufReader},
        os::unix::process::ExitStatusExt,
        process::{Command, Stdio},
        sync::mpsc,
        time::{Duration, Instant},
    };
    const WORK: &str = "Имитация работы функции";
    const INTERRUPT: &str =
        "Произошло прерывание! В этом месте может быть установлен любой обработчик";
    trace::children_start_with_default_sigint();
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap()
        .join("examples")
        .join("interrupts");
    let mut child = Command::new(&binary)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // Past the first interrupt, three seconds in: it keeps running.
    let started = Instant::now();
    let mut printed = Vec::new();
    while !printed.iter().any(|l| l == INTERRUPT) {
        match received.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => printed.push(line),
            Err(e) => {
                let _ = child.kill();
                panic!("no interrupt line ({e}); printed {printed:?}");
            }
        }
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let ended = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running 20 s after it started; printed {printed:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    printed.extend(received.iter());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    // As CPython: killed by SIGINT (the shell's 130), after saying so.
    assert_eq!(ended.signal(), Some(signal_hook::consts::SIGINT), "{ended}");
    assert_eq!(stderr, "KeyboardInterrupt\n");
    assert!(printed.len() >= 4, "{printed:?}");
    assert_eq!(printed[..3], [WORK, WORK, WORK]);
    assert!(
        printed.iter().all(|l| l == WORK || l == INTERRUPT),
        "{printed:?}"
    );
}

/// The timelines in docs/timelines (drawn by `docs/timelines/render.sh`)
/// are what the examples draw on the virtual clock, byte for byte: a
/// virtual run is the same every time, and so is its picture.
#[test]
fn every_checked_in_timeline_is_what_its_example_draws_on_the_virtual_clock() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/timelines");
    let out = std::env::temp_dir().join(format!("yieldfrom-timelines-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut compared = 0;
    for example in ["interrupts", "tasks", "timeouts", "crowd"] {
        let target = out.join(format!("{example}.svg"));
        example_output(
            example,
            &["--virtual", "--timeline", target.to_str().unwrap()],
        );
        for drawn in std::fs::read_dir(&out).unwrap() {
            let drawn = drawn.unwrap().path();
            let name = drawn.file_name().unwrap().to_owned();
            let checked_in = std::fs::read_to_string(docs.join(&name))
                .unwrap_or_else(|e| panic!("docs/timelines/{}: {e}", name.display()));
            assert!(
                std::fs::read_to_string(&drawn).unwrap() == checked_in,
                "docs/timelines/{} differs from what the example draws now: \
                 run docs/timelines/render.sh, look at the picture, and commit it",
                name.display()
            );
            std::fs::remove_file(&drawn).unwrap();
            compared += 1;
        }
    }
    std::fs::remove_dir(&out).unwrap();
    assert_eq!(compared, 7);
}
