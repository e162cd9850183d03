//! A loopback SMS gateway sink for benchmarks: accepts every request at once
//! with `202 0: Accepted for delivery` (Kannel's reply), HTTP/1.1 keep-alive,
//! one thread per connection. Written in Rust because a Python sink tops out
//! below the rate `send` and `hey` reach, so both would only measure the sink.
//!
//! Usage: sink PORT [ARRIVALS_FILE]
//! With ARRIVALS_FILE, appends each request's arrival time (seconds since the
//! sink started, monotonic) on its own line, for the rate-limit check.

use std::fs::File;
use std::io::{BufRead, BufReader, LineWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const REPLY: &[u8] = b"HTTP/1.1 202 Accepted\r\nContent-Type: text/html\r\nContent-Length: 24\r\n\r\n0: Accepted for delivery";

type Arrivals = Option<Arc<Mutex<LineWriter<File>>>>;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: sink PORT [ARRIVALS_FILE]");
    let arrivals: Arrivals = match args.next() {
        Some(path) => Some(Arc::new(Mutex::new(LineWriter::new(
            File::options().create(true).append(true).open(path)?,
        )))),
        None => None,
    };
    let start = Instant::now();
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    for stream in listener.incoming() {
        let stream = stream?;
        let arrivals = arrivals.clone();
        std::thread::spawn(move || {
            // A connection ends when the client closes it; errors just end it too.
            let _ = serve(stream, arrivals, start);
        });
    }
    Ok(())
}

fn serve(stream: TcpStream, arrivals: Arrivals, start: Instant) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        // Request line and headers, up to the empty line.
        let mut length = 0usize;
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        if let Some(file) = &arrivals {
            let at = start.elapsed().as_secs_f64();
            writeln!(file.lock().expect("no writer panics"), "{at:.6}")?;
        }
        writer.write_all(REPLY)?;
    }
}
