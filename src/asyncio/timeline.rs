//! A [`Record`] drawn as a self-contained SVG: one lane per task.

use super::{
    clock::ClockKind,
    record::{AfterStep, Outcome, Record, RecordEvent, TaskId},
};
use std::fmt::Write as _;

/// Left margin, where the lanes' names go.
const NAMES: f64 = 190.0;
/// Width of the time axis.
const PLOT: f64 = 1000.0;
const RIGHT: f64 = 30.0;
/// Above the lanes: title, legend, time axis.
const TOP: f64 = 74.0;
const LANE: f64 = 22.0;
const BOTTOM: f64 = 16.0;
/// Past this many lanes the time axis is drawn below them too.
const AXIS_BELOW: usize = 25;
/// A step of no duration (every step on the virtual clock) is drawn this
/// wide, so that it is seen.
const MIN_BAR: f64 = 3.0;
/// Width of one character of the 11px monospace font, to tell whether a
/// label fits.
const CHAR: f64 = 6.7;
/// The longest lane name shown whole.
const NAME_CHARS: usize = 26;

/// What a lane draws, in loop time.
enum Piece {
    Run(f64, f64),
    Wait(f64, f64, Option<String>),
    Mark(f64, Mark),
}

#[derive(Clone, Copy)]
enum Mark {
    CancelRequested,
    TimedOut,
    Returned,
    Raised,
    Cancelled,
}

/// Where a task stands while the events are read.
enum State {
    /// Made or woken, waiting since then; what on, if anything.
    Waiting(f64, Option<String>),
    Running(f64),
    Done,
}

struct Lane {
    id: TaskId,
    name: String,
    state: State,
    pieces: Vec<Piece>,
    /// Titles of the marks, by the index of their piece.
    notes: Vec<(usize, String)>,
}

impl Record {
    /// The record drawn as a self-contained SVG document: one lane per
    /// task, named as the task is, in the order the tasks were made;
    /// a bar where the task runs (at least a few pixels wide, so that the
    /// instant steps of the virtual clock show), a thin line where it
    /// waits, labelled with what it waits on; marks where it is asked to
    /// cancel, where a `wait_for` times out, and where it ends (returned,
    /// raised, cancelled); a time axis in seconds.
    ///
    /// Lanes stack: a run of 200 tasks makes a tall picture. A label that
    /// does not fit its stretch of line is cut short or left out; every
    /// bar, line and mark carries its full text as a tooltip (`<title>`).
    /// The same record always gives the same bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, sleep};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// lp.start_recording();
    /// lp.run_until_complete(coroutine("main", |co| async move {
    ///     co.yield_from(sleep(2.0)).await
    /// }))
    /// .unwrap();
    /// let svg = lp.take_record().to_svg();
    /// assert!(svg.starts_with("<svg"));
    /// assert!(svg.contains(">sleep</text>"));
    /// ```
    #[must_use]
    pub fn to_svg(&self) -> String {
        let (lanes, end) = self.lanes();
        let span = if end > 0.0 { end } else { 1.0 };
        let x = |t: f64| NAMES + t / span * PLOT;
        #[allow(clippy::cast_precision_loss, reason = "a few thousand lanes at most")]
        let lanes_end = TOP + LANE * lanes.len() as f64;
        let below = lanes.len() > AXIS_BELOW;
        let height = lanes_end + BOTTOM + if below { 24.0 } else { 0.0 };
        let width = NAMES + PLOT + RIGHT;
        let mut svg = String::new();
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"monospace\" font-size=\"11\">\n\
             <style>text{{fill:#222}} .run{{fill:#3b7dd8}} .wait{{stroke:#888;stroke-width:1}} \
             .ready{{stroke:#bbb;stroke-width:1;stroke-dasharray:2 3}} .label{{fill:#555;font-size:10px}} \
             .grid{{stroke:#e4e4e4}} .odd{{fill:#f6f8fb}}</style>\n\
             <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
        );
        let clock = match self.clock {
            ClockKind::Virtual => "virtual clock",
            ClockKind::Real => "real clock",
        };
        let _ = writeln!(
            svg,
            "<text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">Tasks over loop time \
             ({} task{}, {clock})</text>",
            lanes.len(),
            if lanes.len() == 1 { "" } else { "s" }
        );
        legend(&mut svg);
        for row in (1..lanes.len()).step_by(2) {
            #[allow(clippy::cast_precision_loss, reason = "a few thousand lanes at most")]
            let top = TOP + LANE * row as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"0\" y=\"{top}\" width=\"{width}\" height=\"{LANE}\" class=\"odd\"/>"
            );
        }
        axis(&mut svg, span, TOP - 6.0, Some(lanes_end), x);
        for (row, lane) in lanes.iter().enumerate() {
            #[allow(clippy::cast_precision_loss, reason = "a few thousand lanes at most")]
            let top = TOP + LANE * row as f64;
            draw_lane(&mut svg, lane, top, &x);
        }
        if below {
            axis(&mut svg, span, lanes_end + 6.0, None, x);
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// Reads the events into lanes; also gives the last time seen.
    fn lanes(&self) -> (Vec<Lane>, f64) {
        let mut lanes: Vec<Lane> = Vec::new();
        let mut end: f64 = 0.0;
        let find = |lanes: &mut Vec<Lane>, id: TaskId| lanes.iter().position(|l| l.id == id);
        for event in &self.events {
            match event {
                RecordEvent::TaskCreated {
                    time,
                    task,
                    name,
                    coroutine,
                    ..
                } => {
                    end = end.max(*time);
                    let name = match coroutine {
                        Some(coroutine) if coroutine != name => format!("{name} ({coroutine})"),
                        _ => name.clone(),
                    };
                    lanes.push(Lane {
                        id: *task,
                        name,
                        state: State::Waiting(*time, None),
                        pieces: Vec::new(),
                        notes: Vec::new(),
                    });
                }
                RecordEvent::StepStarted { time, task } => {
                    end = end.max(*time);
                    if let Some(i) = find(&mut lanes, *task) {
                        let lane = &mut lanes[i];
                        if let State::Waiting(since, on) =
                            std::mem::replace(&mut lane.state, State::Running(*time))
                        {
                            lane.pieces.push(Piece::Wait(since, *time, on));
                        }
                    }
                }
                RecordEvent::StepEnded { time, task, then } => {
                    end = end.max(*time);
                    if let Some(i) = find(&mut lanes, *task) {
                        lanes[i].step_ended(*time, then);
                    }
                }
                RecordEvent::CancelRequested {
                    time,
                    task,
                    message,
                    ..
                } => {
                    end = end.max(*time);
                    if let Some(i) = find(&mut lanes, *task) {
                        let note = match message {
                            Some(m) => format!("cancel requested: {m}"),
                            None => "cancel requested".to_owned(),
                        };
                        lanes[i].mark(*time, Mark::CancelRequested, note);
                    }
                }
                RecordEvent::TimedOut {
                    time,
                    task: Some(task),
                } => {
                    end = end.max(*time);
                    if let Some(i) = find(&mut lanes, *task) {
                        lanes[i].mark(*time, Mark::TimedOut, "wait_for timed out".to_owned());
                    }
                }
                RecordEvent::CallbackRan { end: t, .. }
                | RecordEvent::TimerScheduled { time: t, .. }
                | RecordEvent::SlowCallback { time: t, .. }
                | RecordEvent::TimedOut { time: t, .. } => end = end.max(*t),
            }
        }
        for lane in &mut lanes {
            match std::mem::replace(&mut lane.state, State::Done) {
                State::Waiting(since, on) => lane.pieces.push(Piece::Wait(since, end, on)),
                State::Running(since) => lane.pieces.push(Piece::Run(since, end)),
                State::Done => {}
            }
        }
        (lanes, end)
    }
}

impl Lane {
    fn step_ended(&mut self, time: f64, then: &AfterStep) {
        if let State::Running(since) = self.state {
            self.pieces.push(Piece::Run(since, time));
        }
        self.state = match then {
            AfterStep::Waiting(on) => State::Waiting(time, Some(on.clone())),
            AfterStep::Yielded => State::Waiting(time, None),
            AfterStep::Finished(outcome) => {
                let (mark, note) = match outcome {
                    Outcome::Returned => (Mark::Returned, "returned".to_owned()),
                    Outcome::Raised(e) => (Mark::Raised, format!("raised {e}")),
                    Outcome::Cancelled(None) => (Mark::Cancelled, "cancelled".to_owned()),
                    Outcome::Cancelled(Some(m)) => (Mark::Cancelled, format!("cancelled: {m}")),
                };
                self.mark(time, mark, note);
                State::Done
            }
        };
    }

    fn mark(&mut self, time: f64, mark: Mark, note: String) {
        self.notes.push((self.pieces.len(), note));
        self.pieces.push(Piece::Mark(time, mark));
    }
}

fn legend(svg: &mut String) {
    let items: [(&str, &str); 7] = [
        (
            "<rect x=\"0\" y=\"-8\" width=\"14\" height=\"10\" class=\"run\"/>",
            "runs",
        ),
        (
            "<line x1=\"0\" y1=\"-3\" x2=\"14\" y2=\"-3\" class=\"wait\"/>",
            "waits on",
        ),
        (
            "<line x1=\"0\" y1=\"-3\" x2=\"14\" y2=\"-3\" class=\"ready\"/>",
            "ready",
        ),
        (
            &mark_shape(7.0, -3.0, Mark::CancelRequested),
            "cancel asked",
        ),
        (&mark_shape(7.0, -3.0, Mark::TimedOut), "timed out"),
        (&mark_shape(7.0, -3.0, Mark::Raised), "raised"),
        (&mark_shape(7.0, -3.0, Mark::Cancelled), "cancelled"),
    ];
    let mut left = 8.0;
    for (shape, text) in items {
        let _ = writeln!(
            svg,
            "<g transform=\"translate({left:.1},38)\">{shape}<text x=\"19\" y=\"0\">{text}</text></g>"
        );
        #[allow(clippy::cast_precision_loss, reason = "short words")]
        let width = 19.0 + text.len() as f64 * CHAR + 18.0;
        left += width;
    }
}

/// A time axis at `axis_y`, its labels above it if it heads the lanes
/// (then with a grid line from each tick down to `grid_to`), below it
/// otherwise.
fn axis(svg: &mut String, span: f64, axis_y: f64, grid_to: Option<f64>, x: impl Fn(f64) -> f64) {
    let step = tick_step(span);
    let decimals = decimals(step);
    let (tick_y, text_y) = match grid_to {
        Some(_) => (axis_y + 4.0, axis_y - 4.0),
        None => (axis_y - 4.0, axis_y + 14.0),
    };
    let _ = writeln!(
        svg,
        "<line x1=\"{NAMES}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#444\"/>\
         <text x=\"8\" y=\"{text_y}\">time (s)</text>",
        NAMES + PLOT,
    );
    let mut i = 0_u32;
    loop {
        let t = f64::from(i) * step;
        if t > span * (1.0 + 1e-9) {
            break;
        }
        let tx = x(t);
        if let Some(grid_to) = grid_to {
            let _ = writeln!(
                svg,
                "<line x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{grid_to}\" class=\"grid\"/>"
            );
        }
        let _ = writeln!(
            svg,
            "<line x1=\"{tx:.1}\" y1=\"{axis_y}\" x2=\"{tx:.1}\" y2=\"{tick_y}\" stroke=\"#444\"/>\
             <text x=\"{tx:.1}\" y=\"{text_y}\" text-anchor=\"middle\">{t:.decimals$}</text>"
        );
        i += 1;
    }
}

/// A round tick interval (1, 2 or 5 times a power of ten) giving about
/// ten ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = span / 10.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// How many decimals a tick interval needs.
fn decimals(step: f64) -> usize {
    let places = -step.log10().floor();
    if places > 0.0 {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a small positive whole number"
        )]
        let places = places as usize;
        places
    } else {
        0
    }
}

fn draw_lane(svg: &mut String, lane: &Lane, top: f64, x: &impl Fn(f64) -> f64) {
    let mid = top + LANE / 2.0;
    let name = escape(&lane.name);
    let shown = escape(&truncate(&lane.name, NAME_CHARS));
    let _ = writeln!(
        svg,
        "<text x=\"8\" y=\"{:.1}\"><title>{name}</title>{shown}</text>",
        mid + 4.0
    );
    let mut notes = lane.notes.iter();
    for (i, piece) in lane.pieces.iter().enumerate() {
        match piece {
            Piece::Wait(from, to, on) => {
                let (x1, x2) = (x(*from), x(*to));
                let (class, title) = match on {
                    Some(on) => ("wait", format!("waits on {on}")),
                    None => ("ready", "ready to run".to_owned()),
                };
                let _ = writeln!(
                    svg,
                    "<line x1=\"{x1:.1}\" y1=\"{mid}\" x2=\"{x2:.1}\" y2=\"{mid}\" class=\"{class}\">\
                     <title>{} {}–{} s</title></line>",
                    escape(&title),
                    secs(*from),
                    secs(*to)
                );
                if let Some(on) = on {
                    label(svg, on, x1, x2, mid);
                }
            }
            Piece::Run(from, to) => {
                let x1 = x(*from);
                let w = (x(*to) - x1).max(MIN_BAR);
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x1:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"12\" class=\"run\">\
                     <title>{} runs {}–{} s</title></rect>",
                    mid - 6.0,
                    escape(&lane.name),
                    secs(*from),
                    secs(*to)
                );
            }
            Piece::Mark(at, mark) => {
                let note = notes
                    .find(|(index, _)| *index == i)
                    .map_or("", |(_, note)| note.as_str());
                let _ = writeln!(
                    svg,
                    "<g>{}<title>{} at {} s</title></g>",
                    mark_shape(x(*at), mid, *mark),
                    escape(note),
                    secs(*at)
                );
            }
        }
    }
}

/// A wait's label above its line, cut short to fit between the line's
/// ends, or left out if not even a few characters fit.
fn label(svg: &mut String, text: &str, x1: f64, x2: f64, mid: f64) {
    let room = x2 - x1 - 2.0 * (MIN_BAR + 4.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count of characters"
    )]
    let fits = if room > 0.0 {
        (room / CHAR).floor() as usize
    } else {
        0
    };
    if fits < 3 {
        return;
    }
    let shown = truncate(text, fits);
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" class=\"label\">{}</text>",
        x1 + MIN_BAR + 4.0,
        mid - 3.0,
        escape(&shown)
    );
}

/// `text`, or its start and an ellipsis, in at most `chars` characters.
fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn mark_shape(cx: f64, cy: f64, mark: Mark) -> String {
    match mark {
        // A triangle pointing down onto the lane: someone asked.
        Mark::CancelRequested => format!(
            "<path d=\"M{:.1} {:.1} l8 0 l-4 7 z\" fill=\"#f39c12\"/>",
            cx - 4.0,
            cy - 10.0
        ),
        Mark::TimedOut => format!(
            "<path d=\"M{cx:.1} {:.1} l5 5 l-5 5 l-5 -5 z\" fill=\"#8e44ad\"/>",
            cy - 5.0
        ),
        Mark::Returned => {
            format!("<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"#2e8b57\"/>")
        }
        Mark::Raised => format!(
            "<path d=\"M{:.1} {:.1} l8 8 m0 -8 l-8 8\" stroke=\"#d62728\" stroke-width=\"2.5\"/>",
            cx - 4.0,
            cy - 4.0
        ),
        Mark::Cancelled => format!(
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4.5\" fill=\"white\" stroke=\"#f39c12\" \
             stroke-width=\"2\"/><path d=\"M{:.1} {:.1} l6 -6\" stroke=\"#f39c12\" stroke-width=\"2\"/>",
            cx - 3.0,
            cy + 3.0
        ),
    }
}

/// A time in seconds to the microsecond, without trailing zeros.
fn secs(t: f64) -> String {
    let text = format!("{t:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `text` made safe inside XML text and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{decimals, tick_step, truncate};

    #[test]
    fn ticks_are_round_and_about_ten_over_the_span() {
        let close = |a: f64, b: f64| (a - b).abs() < b * 1e-9;
        assert!(close(tick_step(10.0), 1.0));
        assert!(close(tick_step(23.0), 5.0));
        assert!(close(tick_step(0.0004), 0.00005));
        assert_eq!(decimals(0.5), 1);
        assert_eq!(decimals(5.0), 0);
    }

    #[test]
    fn a_label_too_long_is_cut_with_an_ellipsis() {
        assert_eq!(truncate("Lock.acquire", 6), "Lock.…");
        assert_eq!(truncate("sleep", 6), "sleep");
    }
}
