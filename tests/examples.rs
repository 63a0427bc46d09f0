//! The examples print what the Python programs they come from print.

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
