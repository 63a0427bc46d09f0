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
    cell::RefCell,
    fmt,
    io::{self, BufRead, Write},
    rc::Rc,
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

/// Where the robot and its operator print: stdout, or a buffer in tests.
#[derive(Clone)]
pub struct Output(pub Rc<RefCell<dyn Write>>);

impl Output {
    /// Standard output.
    pub fn stdout() -> Self {
        Self(Rc::new(RefCell::new(io::stdout())))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

fn robot_setting() -> Robot {
    Generator::new("robot_setting", |co| async move {
        co.yield_from_iter((0..20).map(Some)).await
    })
}

fn robot_worker(out: Output) -> Robot {
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

/// The notes' session, printing what CPython prints for it.
///
/// # Errors
///
/// An error from writing, or one the robot raised.
pub fn replay(mut out: Output) -> Result<(), Box<dyn std::error::Error>> {
    let robot = robot_worker(out.clone());
    if robot.state() == GenState::Created {
        writeln!(out, "Готов к работе")?;
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
            writeln!(out, "{}", python_repr(v))?;
        }
    }
    robot.send(Task::Number(4))?;
    robot.close()?;
    Ok(())
}

/// Reads tasks from `input`, one per line, and reports each reply and the
/// robot's state; closes the robot at the end of the input.
///
/// # Errors
///
/// An error from reading or writing.
pub fn interactive(input: impl BufRead, mut out: Output) -> io::Result<()> {
    let robot = robot_worker(out.clone());
    writeln!(out, "Готов к работе ({})", robot.state())?;
    if let Err(e) = robot.next() {
        writeln!(out, "the robot failed to start: {e}")?;
        return Ok(());
    }
    for line in input.lines() {
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
            Ok(Some(Some(step))) => writeln!(out, "self-diagnostics step {step}")?,
            Ok(_) => {}
            Err(Error::Raised(e)) => match e.downcast::<NoSend<Task>>() {
                // `robot_setting` is the notes' `range(20)`: CPython's robot
                // dies here with "AttributeError: 'range_iterator' object has
                // no attribute 'send'".
                Ok(refused) => writeln!(
                    out,
                    "the robot was running self-diagnostics, a plain range that \
                     cannot take tasks, so it shut down with an error, as CPython's \
                     robot does (AttributeError: 'range_iterator' object has no \
                     attribute 'send'); task {} was not delivered",
                    refused.value
                )?,
                Err(other) => writeln!(out, "the robot failed: {other}")?,
            },
            Err(e) => writeln!(out, "the robot refused the task: {e}")?,
        }
        writeln!(out, "[{}]", robot.state())?;
    }
    if let Err(e) = robot.close() {
        writeln!(out, "the robot did not shut down cleanly: {e}")?;
    }
    writeln!(out, "[{}]", robot.state())?;
    Ok(())
}

fn main() {
    let result = if std::env::args().any(|a| a == "--interactive") {
        interactive(io::stdin().lock(), Output::stdout()).map_err(|e| e.to_string())
    } else {
        replay(Output::stdout()).map_err(|e| e.to_string())
    };
    if let Err(e) = result {
        eprintln!("robot_worker: {e}");
        std::process::exit(1);
    }
}
