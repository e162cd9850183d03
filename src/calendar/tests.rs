use std::path::PathBuf;

use super::*;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The sample workspace's holiday files (2026 and 2027).
fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("calendar")
}

fn shipped(settings: CalendarSettings) -> WorkingCalendar {
    WorkingCalendar::load(&shipped_dir(), settings).unwrap()
}

fn settings(yaml: &str) -> CalendarSettings {
    serde_yaml::from_str(yaml).unwrap()
}

const DAY: Goal = Goal::new(1, GoalUnit::WorkingDays);

fn due(cal: &WorkingCalendar, start: &str) -> String {
    cal.due(t(start), DAY).unwrap().to_rfc3339()
}

/// A temporary holiday directory holding the given files.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn load_err(files: &[(&str, &str)]) -> String {
    let dir = dir_with(files);
    WorkingCalendar::load(dir.path(), CalendarSettings::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn friday_afternoon_is_due_monday_afternoon() {
    let cal = shipped(CalendarSettings::default());
    assert_eq!(
        due(&cal, "2026-03-06T15:00:00+07:00"),
        "2026-03-09T15:00:00+07:00"
    );
}

#[test]
fn saturday_submission_counts_from_monday_midnight() {
    let cal = shipped(CalendarSettings::default());
    assert_eq!(
        due(&cal, "2026-03-07T10:00:00+07:00"),
        "2026-03-10T00:00:00+07:00"
    );
}

#[test]
fn nyepi_and_idul_fitri_holidays_and_cuti_bersama_are_skipped() {
    let cal = shipped(CalendarSettings::default());
    assert_eq!(
        due(&cal, "2026-03-17T10:00:00+07:00"),
        "2026-03-25T10:00:00+07:00"
    );
    // 14 h on Tuesday, then nothing until Wednesday 25th.
    let used = cal
        .elapsed_working(
            t("2026-03-17T10:00:00+07:00"),
            t("2026-03-25T00:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(used, TimeDelta::hours(14));
}

#[test]
fn cuti_bersama_can_be_made_working_days() {
    let cal = shipped(settings("cuti_bersama_working: true"));
    // Wednesday 18th (cuti bersama before Nyepi) now counts.
    assert_eq!(
        due(&cal, "2026-03-17T10:00:00+07:00"),
        "2026-03-18T10:00:00+07:00"
    );
    // Thursday 19th (Nyepi) is a national holiday and still does not: Fri 20th is cuti bersama.
    assert_eq!(
        due(&cal, "2026-03-18T10:00:00+07:00"),
        "2026-03-20T10:00:00+07:00"
    );
}

#[test]
fn working_hours_count_only_office_time() {
    let cal = shipped(settings("working_hours: 07:30-16:00"));
    assert_eq!(cal.working_day_length(), TimeDelta::minutes(8 * 60 + 30));
    assert_eq!(
        due(&cal, "2026-03-06T15:00:00+07:00"),
        "2026-03-09T15:00:00+07:00"
    );
    assert_eq!(
        due(&cal, "2026-03-06T17:00:00+07:00"),
        "2026-03-09T16:00:00+07:00"
    );
    let eight = Goal::new(8, GoalUnit::WorkingHours);
    assert_eq!(
        cal.due(t("2026-03-09T07:00:00+07:00"), eight)
            .unwrap()
            .to_rfc3339(),
        "2026-03-09T15:30:00+07:00"
    );
}

#[test]
fn wita_calendar_counts_in_makassar_time() {
    let wita = shipped(settings("time_zone: Asia/Makassar"));
    assert_eq!(
        due(&wita, "2026-03-06T15:00:00+08:00"),
        "2026-03-09T15:00:00+08:00"
    );
    // Fri 23:30 WIB is already Saturday in Makassar: the two offices disagree.
    let wib = shipped(CalendarSettings::default());
    assert_eq!(
        due(&wib, "2026-03-06T23:30:00+07:00"),
        "2026-03-09T23:30:00+07:00"
    );
    assert_eq!(
        due(&wita, "2026-03-06T23:30:00+07:00"),
        "2026-03-10T00:00:00+08:00"
    );
}

#[test]
fn results_are_shown_in_the_calendar_zone() {
    let wit = shipped(settings("time_zone: Asia/Jayapura"));
    assert_eq!(
        due(&wit, "2026-03-06T06:00:00+00:00"),
        "2026-03-09T15:00:00+09:00"
    );
}

#[test]
fn year_end_crosses_into_next_years_file() {
    let cal = shipped(CalendarSettings::default());
    // 14 h on Thu 31 Dec, then New Year's Day 2027 (Fri) and the weekend.
    assert_eq!(
        due(&cal, "2026-12-31T10:00:00+07:00"),
        "2027-01-04T10:00:00+07:00"
    );
}

#[test]
fn a_missing_year_names_the_file_to_add() {
    let text = std::fs::read_to_string(shipped_dir().join("2026.yaml")).unwrap();
    let dir = dir_with(&[("2026.yaml", &text)]);
    let cal = WorkingCalendar::load(dir.path(), CalendarSettings::default()).unwrap();
    let err = cal
        .due(t("2026-12-31T10:00:00+07:00"), DAY)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no holiday file for 2027"), "{err}");
    assert!(
        err.contains(&dir.path().join("2027.yaml").display().to_string()),
        "{err}"
    );
    assert!(err.contains("missing_year: weekends-only"), "{err}");

    let lenient =
        WorkingCalendar::load(dir.path(), settings("missing_year: weekends-only")).unwrap();
    // Without the 2027 file, New Year's Day counts as a plain Friday.
    assert_eq!(
        due(&lenient, "2026-12-31T10:00:00+07:00"),
        "2027-01-01T10:00:00+07:00"
    );
}

#[test]
fn elapsed_goals_ignore_the_calendar_and_need_no_holiday_file() {
    let cal =
        WorkingCalendar::load(Path::new("/nonexistent"), CalendarSettings::default()).unwrap();
    let goal = Goal::new(36, GoalUnit::Hours);
    assert_eq!(
        cal.due(t("2030-03-06T15:00:00+07:00"), goal)
            .unwrap()
            .to_rfc3339(),
        "2030-03-08T03:00:00+07:00"
    );
}

#[test]
fn submitted_on_a_holiday_counts_from_the_next_working_day() {
    let cal = shipped(CalendarSettings::default());
    // Independence Day, Monday 17 August 2026.
    assert_eq!(
        due(&cal, "2026-08-17T09:00:00+07:00"),
        "2026-08-19T00:00:00+07:00"
    );
    assert_eq!(
        cal.holiday(NaiveDate::from_ymd_opt(2026, 8, 17).unwrap())
            .unwrap()
            .name,
        "Independence Day"
    );
}

#[test]
fn counted_time_is_signed() {
    let cal = shipped(CalendarSettings::default());
    let (fri, mon) = (
        t("2026-03-06T15:00:00+07:00"),
        t("2026-03-09T15:00:00+07:00"),
    );
    assert_eq!(cal.counted(fri, mon, DAY).unwrap(), TimeDelta::hours(24));
    assert_eq!(cal.counted(mon, fri, DAY).unwrap(), TimeDelta::hours(-24));
    assert_eq!(
        cal.counted(fri, mon, Goal::new(1, GoalUnit::Days)).unwrap(),
        TimeDelta::hours(72)
    );
}

#[test]
fn a_skipped_dst_hour_is_read_with_the_earlier_offset() {
    let cal = WorkingCalendar::load(
        Path::new("/nonexistent"),
        settings(
            "{time_zone: Europe/Berlin, working_hours: 02:30-04:00, missing_year: weekends-only, weekdays: [sun]}",
        ),
    )
    .unwrap();
    // 29 March 2026: Berlin clocks jump from 02:00 to 03:00; 02:30 reads as 03:30.
    let day = cal
        .elapsed_working(
            t("2026-03-29T00:00:00+01:00"),
            t("2026-03-29T23:00:00+02:00"),
        )
        .unwrap();
    assert_eq!(day, TimeDelta::minutes(30));
}

#[test]
fn shipped_files_hold_the_decreed_dates() {
    let cal = shipped(CalendarSettings::default());
    assert_eq!(cal.years().collect::<Vec<_>>(), [2026, 2027]);
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let eid = cal.holiday(d(2027, 3, 10)).unwrap();
    assert!(eid.estimated);
    assert_eq!(eid.kind, HolidayKind::NationalHoliday);
    assert_eq!(
        cal.holiday(d(2026, 12, 24)).unwrap().kind,
        HolidayKind::CutiBersama
    );
    assert!(!cal.is_working_day(d(2026, 12, 24)).unwrap());
    assert!(cal.is_working_day(d(2026, 12, 23)).unwrap());
}

#[test]
fn settings_default_and_reject_unknown_keys_with_line() {
    assert_eq!(settings("{}"), CalendarSettings::default());
    let err =
        serde_yaml::from_str::<CalendarSettings>("time_zone: Asia/Jakarta\nworkdays: [mon]\n")
            .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `workdays`"),
        "{err}"
    );
    assert_eq!(err.location().unwrap().line(), 2);
    for (yaml, needle) in [
        ("time_zone: WIB", "Asia/Makassar (WITA)"),
        ("working_hours: 16:00-07:30", "e.g. `07:30-16:00`"),
        ("working_hours: 7h-16h", "e.g. `07:30-16:00`"),
        ("missing_year: ignore", "weekends-only"),
    ] {
        let err = serde_yaml::from_str::<CalendarSettings>(yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{yaml}: {err}");
    }
    let round = serde_yaml::to_string(&settings("working_hours: 07:30–16:00")).unwrap();
    assert!(round.contains("working_hours: 07:30-16:00"), "{round}");
    assert!(round.contains("time_zone: Asia/Jakarta"), "{round}");
}

#[test]
fn holiday_file_errors_name_file_line_and_field() {
    let err = load_err(&[(
        "2026.yaml",
        "holidays:\n  - date: 2026-01-01\n    name: New Year\n    kind: holiday\n",
    )]);
    assert!(
        err.contains("2026.yaml:4:11: holidays[0].kind: unknown variant `holiday`"),
        "{err}"
    );

    let err = load_err(&[(
        "2026.yaml",
        "holidays:\n  - date: 2026-01-01\n    nama: New Year\n",
    )]);
    assert!(
        err.contains("2026.yaml:3:5: holidays[0]: unknown field `nama`"),
        "{err}"
    );

    let err = load_err(&[(
        "2026.yaml",
        "holidays:\n  - date: 2026-02-30\n    name: X\n    kind: cuti-bersama\n",
    )]);
    assert!(err.contains("2026.yaml:2:"), "{err}");
    assert!(err.contains("holidays[0].date"), "{err}");
}

#[test]
fn holiday_file_semantic_errors_find_the_line() {
    let body = "holidays:\n  - date: 2026-01-01\n    name: A\n    kind: national-holiday\n  - date: 2027-01-01\n    name: B\n    kind: national-holiday\n";
    let err = load_err(&[("2026.yaml", body)]);
    assert!(
        err.contains(
            "2026.yaml:5: field `date`: 2027-01-01 is not in this file's year; move it to"
        ),
        "{err}"
    );
    assert!(err.contains("2027.yaml"), "{err}");

    let twice = "holidays:\n  - date: 2026-01-01\n    name: A\n    kind: national-holiday\n  - date: 2026-01-01\n    name: B\n    kind: cuti-bersama\n";
    let err = load_err(&[("2026.yaml", twice)]);
    assert!(
        err.contains("2026.yaml:5: field `date`: 2026-01-01 is listed twice"),
        "{err}"
    );

    let err = load_err(&[("holidays-2026.yaml", "holidays: []\n")]);
    assert!(
        err.contains("holidays-2026.yaml: holiday files must be named <year>.yaml"),
        "{err}"
    );
}

#[test]
fn next_years_file_is_expected_from_october() {
    let text = std::fs::read_to_string(shipped_dir().join("2026.yaml")).unwrap();
    let dir = dir_with(&[("2026.yaml", &text), ("README.md", "not a holiday file")]);
    let cal = WorkingCalendar::load(dir.path(), CalendarSettings::default()).unwrap();
    assert_eq!(
        cal.next_year_file_missing(t("2026-09-30T23:59:00+07:00")),
        None
    );
    // 18:00 UTC on 30 September is already 1 October in Jakarta.
    let msg = cal
        .next_year_file_missing(t("2026-09-30T18:00:00+00:00"))
        .unwrap();
    assert!(msg.contains("no holiday file for 2027"), "{msg}");
    assert!(msg.contains("2027.yaml"), "{msg}");
    assert_eq!(
        shipped(CalendarSettings::default()).next_year_file_missing(t("2026-12-01T00:00:00+07:00")),
        None
    );
}

#[test]
fn huge_goals_and_extreme_dates_are_errors_not_panics() {
    let cal = WorkingCalendar::from_years(
        Path::new("calendar"),
        settings("missing_year: weekends-only"),
        BTreeMap::new(),
    );
    let start = t("2026-03-06T15:00:00+07:00");
    // Goals built in code are not bounded like those read from the settings.
    for unit in [GoalUnit::Days, GoalUnit::Hours, GoalUnit::WorkingDays] {
        let goal = Goal::new(u32::MAX, unit);
        let err = cal.due(start, goal).unwrap_err().to_string();
        assert!(err.contains(&goal.to_string()), "{err}");
    }
    let at = |date: NaiveDate| {
        let noon = date.and_hms_opt(12, 0, 0).unwrap();
        noon.and_utc().fixed_offset()
    };
    let near_end = at(NaiveDate::MAX.pred_opt().unwrap());
    assert!(matches!(
        cal.due(near_end, Goal::new(366, GoalUnit::Days)),
        Err(CalendarError::OutOfRange { .. })
    ));
    assert!(matches!(
        cal.due(near_end, DAY),
        Err(CalendarError::DateOutOfRange { .. })
    ));
    assert!(matches!(
        cal.elapsed_working(near_end, at(NaiveDate::MAX)),
        Err(CalendarError::DateOutOfRange { .. })
    ));
}

#[test]
fn a_goal_longer_than_ten_years_of_working_hours_says_so() {
    let cal = WorkingCalendar::from_years(
        Path::new("calendar"),
        settings("missing_year: weekends-only\nworking_hours: \"07:30-08:00\""),
        BTreeMap::new(),
    );
    let err = cal
        .due(
            t("2026-03-06T15:00:00+07:00"),
            Goal::new(8784, GoalUnit::WorkingHours),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("`8784 working hours`"), "{err}");
    assert!(!err.contains("no working time"), "{err}");
}
