//! The performance targets (docs/performance.md) and how a measured figure compares.
//!
//! A run that was stopped (timeout, memory cap) still says something: it took at least
//! that long and used at least that much memory. Such figures are bounds, and a bound can
//! settle a target ("≥ 120 s" misses "≤ 0.5 s") or leave it open.

/// How sure a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Exact,
    /// The true value is at least this (a stopped run).
    AtLeast,
    /// The true value is at most this (a ratio over a stopped run).
    AtMost,
}

impl Bound {
    fn flipped(self) -> Bound {
        match self {
            Bound::Exact => Bound::Exact,
            Bound::AtLeast => Bound::AtMost,
            Bound::AtMost => Bound::AtLeast,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Bound::Exact => "",
            Bound::AtLeast => "≥ ",
            Bound::AtMost => "≤ ",
        }
    }
}

/// A measured value, exact or a bound.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub value: f64,
    pub bound: Bound,
}

impl Figure {
    pub fn exact(value: f64) -> Figure {
        Figure {
            value,
            bound: Bound::Exact,
        }
    }

    /// `self / other`, with the bound that follows from both.
    pub fn over(self, other: Figure) -> Option<Figure> {
        let bound = match (self.bound, other.bound) {
            (b, Bound::Exact) => b,
            (Bound::Exact, b) => b.flipped(),
            (a, b) if a != b => a,
            // Both bounded the same way: the ratio is unknown.
            _ => return None,
        };
        Some(Figure {
            value: self.value / other.value,
            bound,
        })
    }

    pub fn scaled(self, factor: f64) -> Figure {
        Figure {
            value: self.value * factor,
            ..self
        }
    }
}

/// What a target asks of a figure.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
}

/// How a figure is written.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Seconds,
    Megabytes,
    /// A ratio, `2.50×`.
    Times,
    /// A speed-up, `12.3× faster` or `4.0× slower`.
    Faster,
}

impl Unit {
    fn show(self, f: Figure) -> String {
        let v = f.value;
        match self {
            Unit::Seconds => format!("{}{}", f.bound.prefix(), seconds(v)),
            Unit::Megabytes => format!("{}{v:.0} MB", f.bound.prefix()),
            Unit::Times => format!("{}{v:.2}×", f.bound.prefix()),
            Unit::Faster if v >= 1.0 => format!("{}{v:.1}× faster", f.bound.prefix()),
            Unit::Faster => format!("{}{:.1}× slower", f.bound.flipped().prefix(), 1.0 / v),
        }
    }
}

/// `1.23 s`, `45 ms`, `12.3 s`.
pub fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.0} ms", s * 1e3)
    }
}

/// Whether a figure meets a goal: `Some(true)`, `Some(false)`, or `None` when a bound
/// cannot tell.
fn verdict(goal: Goal, f: Figure) -> Option<bool> {
    let v = f.value;
    match (goal, f.bound) {
        (Goal::AtLeast(g), Bound::Exact) => Some(v >= g),
        (Goal::AtLeast(g), Bound::AtLeast) => (v >= g).then_some(true),
        (Goal::AtLeast(g), Bound::AtMost) => (v < g).then_some(false),
        (Goal::AtMost(g), Bound::Exact) => Some(v <= g),
        (Goal::AtMost(g), Bound::AtLeast) => (v > g).then_some(false),
        (Goal::AtMost(g), Bound::AtMost) => (v <= g).then_some(true),
    }
}

/// One Markdown row: target, goal, measured value, verdict. `why` explains a missing or
/// bounded figure (e.g. "timed out").
pub fn row(
    target: &str,
    goal_text: &str,
    goal: Goal,
    unit: Unit,
    figure: Option<Figure>,
    why: &str,
) -> String {
    let (measured, verdict) = match figure {
        Some(f) => {
            let shown = match f.bound {
                Bound::Exact => unit.show(f),
                _ => format!("{} ({why})", unit.show(f)),
            };
            let verdict = match verdict(goal, f) {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "?",
            };
            (shown, verdict)
        }
        None => (format!("n/a ({why})"), "?"),
    };
    format!("| {target} | {goal_text} | {measured} | {verdict} |\n")
}
