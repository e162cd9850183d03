//! Output formats shared by the commands.

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Junit,
    Github,
    Gitlab,
}

impl Format {
    /// The format the user asked for, or a table.
    pub fn or_table(requested: Option<Format>) -> Format {
        requested.unwrap_or(Format::Table)
    }
}

/// A table in the one style every command uses (the deadline report's too).
pub fn table() -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table
}
