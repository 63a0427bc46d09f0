//! The interactive robot of the course notes (lesson 1, task 1): a
//! generator that takes tasks through `send`, delegates its self-diagnostics
//! with `yield from`, and says goodbye when closed.
//!
//! With no arguments it replays the notes' session and prints exactly what
//! CPython prints for the Python original. With `--interactive` it reads
//! tasks from standard input, one per line.
//!
//! ```python
//! def robot_setting():
//!     yield from range(20)
//!
//! def robot_worker():
//!     while True:
//!         try:
//!             task = yield
//!             if isinstance(task, int):
//!                 print(task * 10)
//!             elif task == "Почистить кеш":
//!                 print("Кеш очистен")
//!             elif task == "самодиагностика":
//!                 yield from robot_setting()
//!         except GeneratorExit:
//!             print("Вы выключели РОБОТА!")
//!             return
//! ```

use std::{
    fmt,
    io::{self, BufRead, Write},
};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, GeneratorExit, NoSend, Step};

/// What can be sent to the robot: Python's `int` or `str`.
#[derive(Clone, Debug, PartialEq)]
enum Task {
    Number(i64),
    Command(String),
}

impl Task {
    fn parse(line: &str) -> Self {
        line.trim()
            .parse()
            .map_or_else(|_| Self::Command(line.trim().to_owned()), Self::Number)
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Command(c) => write!(f, "{c:?}"),
        }
    }
}

/// The robot yields Python's `None` between tasks and the diagnostics'
/// step numbers during self-diagnostics.
type Robot = Generator<Option<i64>, Task>;

fn robot_setting() -> Robot {
    Generator::new("robot_setting", |co| async move {
        co.yield_from_iter((0..20).map(Some)).await
    })
}

fn robot_worker(out: impl Write + 'static) -> Robot {
    Generator::new("robot_worker", |co: Co<_, Task>| async move {
        let mut out = out;
        loop {
            let task = match co.yield_(None).await {
                Ok(task) => task,
                Err(e) if e.is::<GeneratorExit>() => {
                    writeln!(out, "Вы выключели РОБОТА!")?;
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let step = match task {
                Some(Task::Number(n)) => writeln!(out, "{}", n * 10).map_err(AnyError::from),
                Some(Task::Command(c)) if c == "Почистить кеш" => {
                    writeln!(out, "Кеш очистен").map_err(AnyError::from)
                }
                Some(Task::Command(c)) if c == "самодиагностика" => {
                    co.yield_from(robot_setting()).await
                }
                Some(Task::Command(_)) | None => Ok(()),
            };
            match step {
                Err(e) if e.is::<GeneratorExit>() => {
                    writeln!(out, "Вы выключели РОБОТА!")?;
                    return Ok(());
                }
                other => other?,
            }
        }
    })
}

/// Prints a yielded value as Python's `print(next(robot))` would.
fn python_repr(value: Option<i64>) -> String {
    value.map_or_else(|| "None".to_owned(), |n| n.to_string())
}

fn replay() -> Result<(), Box<dyn std::error::Error>> {
    let robot = robot_worker(io::stdout());
    if robot.state() == GenState::Created {
        println!("Готов к работе");
    }
    robot.next()?;
    robot.send(Task::Number(4))?;
    robot.send(Task::Number(2))?;
    robot.next()?;
    robot.send(Task::Command("Почистить кеш".into()))?;
    robot.send(Task::Command("самодиагностика".into()))?;
    for _ in 0..20 {
        let step = robot.next()?;
        if let Step::Yielded(v) = step {
            println!("{}", python_repr(v));
        }
    }
    robot.send(Task::Number(4))?;
    robot.close()?;
    Ok(())
}

fn interactive() -> io::Result<()> {
    let robot = robot_worker(io::stdout());
    println!("Готов к работе ({})", robot.state());
    if let Err(e) = robot.next() {
        println!("the robot failed to start: {e}");
        return Ok(());
    }
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let task = Task::parse(&line);
        let sent = if task == Task::Command("next".into()) {
            robot
                .next()
                .map(Step::yielded)
                .map_err(Error::without_value)
        } else {
            robot
                .send(task)
                .map(Step::yielded)
                .map_err(Error::without_value)
        };
        match sent {
            Ok(Some(Some(step))) => println!("self-diagnostics step {step}"),
            Ok(_) => {}
            Err(Error::Raised(e)) => match e.downcast::<NoSend<Task>>() {
                Ok(refused) => println!(
                    "the robot was running self-diagnostics, which cannot take tasks, \
                     and it shut down with an error (CPython: AttributeError: {refused}); \
                     task {} was not delivered",
                    refused.value
                ),
                Err(other) => println!("the robot failed: {other}"),
            },
            Err(e) => println!("the robot refused the task: {e}"),
        }
        println!("[{}]", robot.state());
    }
    if let Err(e) = robot.close() {
        println!("the robot did not shut down cleanly: {e}");
    }
    println!("[{}]", robot.state());
    Ok(())
}

fn main() {
    let result = if std::env::args().any(|a| a == "--interactive") {
        interactive().map_err(|e| e.to_string())
    } else {
        replay().map_err(|e| e.to_string())
    };
    if let Err(e) = result {
        eprintln!("robot_worker: {e}");
        std::process::exit(1);
    }
}
