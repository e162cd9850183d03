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
