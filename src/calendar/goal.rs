//! Deadline goals such as `1 working day`, `8 working hours` or `36 hours`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How long a step may take: an amount of working time (counted only inside
/// the calendar) or of elapsed time (counted around the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Goal {
    pub amount: u32,
    pub unit: GoalUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalUnit {
    WorkingDays,
    WorkingHours,
    WorkingMinutes,
    /// Calendar days of 24 hours, weekends and holidays included.
    Days,
    Hours,
    Minutes,
}

impl Goal {
    pub const fn new(amount: u32, unit: GoalUnit) -> Self {
        Goal { amount, unit }
    }

    /// True when the goal counts only working time.
    pub fn is_working(&self) -> bool {
        matches!(
            self.unit,
            GoalUnit::WorkingDays | GoalUnit::WorkingHours | GoalUnit::WorkingMinutes
        )
    }
}

/// The longest goal read from the settings: a year (366 days, 8784 hours,
/// 527040 minutes), working time or not. Longer goals are typing mistakes,
/// and bounding them keeps every deadline within computable dates.
pub const MAX_GOAL_DAYS: u32 = 366;

impl GoalUnit {
    /// The largest amount of this unit a goal may have.
    pub fn max_amount(self) -> u32 {
        match self {
            GoalUnit::WorkingDays | GoalUnit::Days => MAX_GOAL_DAYS,
            GoalUnit::WorkingHours | GoalUnit::Hours => MAX_GOAL_DAYS * 24,
            GoalUnit::WorkingMinutes | GoalUnit::Minutes => MAX_GOAL_DAYS * 24 * 60,
        }
    }
}

const UNITS: [(GoalUnit, &str, &str); 6] = [
    (GoalUnit::WorkingDays, "working day", "working days"),
    (GoalUnit::WorkingHours, "working hour", "working hours"),
    (
        GoalUnit::WorkingMinutes,
        "working minute",
        "working minutes",
    ),
    (GoalUnit::Days, "day", "days"),
    (GoalUnit::Hours, "hour", "hours"),
    (GoalUnit::Minutes, "minute", "minutes"),
];

impl FromStr for Goal {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid goal `{s}`: expected a whole number above 0 and a unit: working days, working hours, working minutes (counted in the calendar), or days, hours, minutes (counted around the clock), e.g. `1 working day` or `36 hours`"
            )
        };
        let (amount, unit) = s.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
        // Digits only, so that a huge number gets the bound, not the syntax.
        if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let amount = amount.trim_start_matches('0');
        if amount.is_empty() {
            return Err(bad());
        }
        let unit = unit.split_whitespace().collect::<Vec<_>>().join(" ");
        let unit = UNITS
            .iter()
            .find(|(_, one, many)| {
                unit.eq_ignore_ascii_case(one) || unit.eq_ignore_ascii_case(many)
            })
            .map(|(u, _, _)| *u)
            .ok_or_else(bad)?;
        let max = unit.max_amount();
        let amount = match amount.parse::<u32>() {
            Ok(n) if n <= max => n,
            _ => {
                let (_, _, many) = UNITS.iter().find(|(u, _, _)| *u == unit).expect("listed");
                return Err(format!(
                    "goal `{s}` is longer than a year: use at most {max} {many} (goals may be up to 366 days, 8784 hours or 527040 minutes, working or not)"
                ));
            }
        };
        Ok(Goal { amount, unit })
    }
}

super::deserialize_from_str!(Goal, "a goal such as `1 working day` or `36 hours`");

impl From<Goal> for String {
    fn from(g: Goal) -> String {
        g.to_string()
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, one, many) = UNITS
            .iter()
            .find(|(u, _, _)| *u == self.unit)
            .expect("every unit is listed");
        write!(
            f,
            "{} {}",
            self.amount,
            if self.amount == 1 { one } else { many }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_at_most_a_year() {
        for (ok, unit) in [
            ("366 working days", GoalUnit::WorkingDays),
            ("366 days", GoalUnit::Days),
            ("8784 hours", GoalUnit::Hours),
            ("8784 working hours", GoalUnit::WorkingHours),
            ("527040 minutes", GoalUnit::Minutes),
        ] {
            assert_eq!(ok.parse::<Goal>().unwrap().unit, unit);
        }
        for long in [
            "367 days",
            "4000000 working days",
            "4000000000 days",
            "100000000000000000000 days",
            "8785 hours",
            "2400000000 hours",
            "527041 working minutes",
        ] {
            let err = long.parse::<Goal>().unwrap_err();
            assert!(err.contains("longer than a year"), "{long}: {err}");
        }
    }

    #[test]
    fn parses_and_prints_the_documented_forms() {
        for (text, goal) in [
            ("1 working day", Goal::new(1, GoalUnit::WorkingDays)),
            ("2 working days", Goal::new(2, GoalUnit::WorkingDays)),
            ("8 working hours", Goal::new(8, GoalUnit::WorkingHours)),
            (
                "90 working minutes",
                Goal::new(90, GoalUnit::WorkingMinutes),
            ),
            ("36 hours", Goal::new(36, GoalUnit::Hours)),
            ("1 day", Goal::new(1, GoalUnit::Days)),
        ] {
            assert_eq!(text.parse::<Goal>().unwrap(), goal);
            assert_eq!(goal.to_string(), text);
        }
        assert_eq!(
            "3  Working  Hours".parse::<Goal>().unwrap(),
            Goal::new(3, GoalUnit::WorkingHours)
        );
    }

    #[test]
    fn bad_goals_explain_the_syntax() {
        for bad in [
            "",
            "1",
            "working day",
            "1.5 working days",
            "0 hours",
            "1 workday",
            "-1 hours",
            "00 days",
        ] {
            let err = bad.parse::<Goal>().unwrap_err();
            assert!(err.contains("e.g. `1 working day`"), "{bad}: {err}");
        }
    }
}
