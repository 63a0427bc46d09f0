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
