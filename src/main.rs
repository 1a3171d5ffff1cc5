//! The `chatd` command: parses the command line, sets up logging and runs the
//! server (or another subcommand); prints errors for people and sets the exit
//! code (1: the server failed, 2: bad configuration or arguments).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chatd::config::{self, Config};
use clap::{Args, Parser, Subcommand};
use log::LevelFilter;

#[derive(Parser)]
#[command(
    name = "chatd",
    version,
    about = "A self-hosted chat server for telnet and netcat users"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default when no subcommand is given)
    Serve(ServeArgs),
    /// Print the commented example chat.toml, whose values are the defaults
    Config,
    /// Manage accounts in the database (safe while the server runs)
    Admin {
        #[command(flatten)]
        place: ConfigPlace,
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// List every registered account
    List,
    /// Set a new password for an account (read hidden from the terminal, or a line of stdin)
    ResetPassword { nick: String },
    /// Register a nickname with a password, as /register would
    Register { nick: String },
    /// Delete an account and its watch list
    Delete { nick: String },
    /// Make an account a server operator (it then uses /oper <nick> <its password>)
    Oper {
        nick: String,
        /// Take the operator flag away instead
        #[arg(long)]
        revoke: bool,
    },
    /// Print the argon2 hash of a password, for [[opers]] in chat.toml
    Hash,
    /// Copy the database, consistently, to a new FILE (safe while the server runs)
    Backup { file: PathBuf },
}

/// Where the configuration and the database are. Global, so that
/// `chatd admin --db x list` and `chatd admin list --db x` both work.
#[derive(Args, Default)]
struct ConfigPlace {
    /// Configuration file; when the default is missing, built-in defaults apply
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,
    /// SQLite database file (overrides the configuration)
    #[arg(long, value_name = "PATH", global = true)]
    db: Option<PathBuf>,
}

impl ConfigPlace {
    /// The configuration, and what it came from for the start log: the
    /// file's full path, or `None` for the built-in defaults.
    fn load(self) -> Result<(Config, Option<PathBuf>), ExitCode> {
        let named = self.config.is_some();
        let path = self.config.unwrap_or_else(|| PathBuf::from("chat.toml"));
        let mut config = Config::load(&path, named).map_err(|e| {
            eprintln!("chatd: {e}");
            ExitCode::from(2)
        })?;
        if let Some(db) = self.db {
            config.database = db;
        }
        let source = path.exists().then(|| config::absolute(&path));
        Ok((config, source))
    }
}

#[derive(Args, Default)]
struct ServeArgs {
    #[command(flatten)]
    place: ConfigPlace,
    /// Address of the text (telnet/netcat) door, e.g. 127.0.0.1:2027 or localhost:2027; port 0 picks one
    #[arg(long, value_name = "ADDR", value_parser = config::parse_listen)]
    listen: Option<SocketAddr>,
    /// Address of the book's UDP chat door, e.g. 127.0.0.1:2027; port 0 picks one
    #[arg(long, value_name = "ADDR", value_parser = config::parse_listen)]
    udp_listen: Option<SocketAddr>,
    /// Turn the UDP door off
    #[arg(long, conflicts_with = "udp_listen")]
    no_udp: bool,
    /// Address of the IRC door, e.g. 127.0.0.1:6667; port 0 picks one
    #[arg(long, value_name = "ADDR", value_parser = config::parse_listen)]
    irc_listen: Option<SocketAddr>,
    /// Turn the IRC door off
    #[arg(long, conflicts_with = "irc_listen")]
    no_irc: bool,
    /// Address of the browser door, e.g. 127.0.0.1:8080; port 0 picks one
    #[arg(long, value_name = "ADDR", value_parser = config::parse_listen)]
    web_listen: Option<SocketAddr>,
    /// Turn the browser door off
    #[arg(long, conflicts_with = "web_listen")]
    no_web: bool,
    /// off, error, warn, info, debug or trace
    #[arg(long, value_name = "LEVEL", value_parser = config::parse_level)]
    log_level: Option<LevelFilter>,
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(serve_by_default(std::env::args_os().collect()));
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args),
        Command::Config => {
            print!("{}", config::EXAMPLE);
            ExitCode::SUCCESS
        }
        Command::Admin { place, action } => admin(place, action),
    }
}

/// `serve` is the default subcommand, so flags without one are its flags:
/// `chatd --listen ADDR` is `chatd serve --listen ADDR` (issue #17). Only
/// `--help` and `--version` stay chatd's own.
fn serve_by_default(mut args: Vec<OsString>) -> Vec<OsString> {
    let first = args.get(1).and_then(|a| a.to_str());
    let own = ["-h", "--help", "-V", "--version"];
    if first.is_some_and(|a| a.starts_with('-') && !own.contains(&a)) {
        args.insert(1, "serve".into());
    }
    args
}

fn admin(place: ConfigPlace, action: AdminAction) -> ExitCode {
    let config = match place.load() {
        Ok((config, _)) => config,
        Err(code) => return code,
    };
    let done = match &action {
        AdminAction::List => chatd::admin::list(&config),
        AdminAction::ResetPassword { nick } => chatd::admin::set_password(&config, nick, false),
        AdminAction::Register { nick } => chatd::admin::set_password(&config, nick, true),
        AdminAction::Delete { nick } => chatd::admin::delete(&config, nick),
        AdminAction::Oper { nick, revoke } => chatd::admin::oper(&config, nick, !revoke),
        AdminAction::Hash => chatd::admin::hash(&config),
        AdminAction::Backup { file } => chatd::admin::backup(&config, file),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chatd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    // Flags override the file.
    let (mut config, source) = match args.place.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if let Some(listen) = args.listen {
        config.text_listen = listen;
    }
    if let Some(listen) = args.udp_listen {
        config.udp_listen = Some(listen);
    }
    if args.no_udp {
        config.udp_listen = None;
    }
    if let Some(listen) = args.irc_listen {
        config.irc_listen = Some(listen);
    }
    if args.no_irc {
        config.irc_listen = None;
    }
    if let Some(listen) = args.web_listen {
        config.web_listen = Some(listen);
    }
    if args.no_web {
        config.web_listen = None;
    }
    if let Some(level) = args.log_level {
        config.log_level = level;
    }
    init_logging(config.log_level);
    let version = env!("CARGO_PKG_VERSION");
    match source {
        Some(path) => log::info!("chatd {version}; configuration {}", path.display()),
        None => log::info!("chatd {version}; no chat.toml: built-in defaults"),
    }
    match chatd::server::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once, and not through the log, which may be off: the log goes
            // to stderr too, and the same line twice reads like two errors.
            eprintln!("chatd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(level: LevelFilter) {
    let config = simplelog::ConfigBuilder::new()
        .set_time_format_rfc3339()
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        .build();
    // Colours only for a person watching; log files and test harnesses get plain text.
    let colour = match std::io::stderr().is_terminal() {
        true => simplelog::ColorChoice::Auto,
        false => simplelog::ColorChoice::Never,
    };
    let _ = simplelog::TermLogger::init(level, config, simplelog::TerminalMode::Stderr, colour);
}
