//! A TCP door's session at work: carries out what the pure [`Session`] asks
//! for on the connection's own reader thread — store lookups and argon2
//! checks (blocking this thread only), commands to the hub, waiting for the
//! hub's answer to a login — and queues the door's replies on the
//! connection's one outbound queue.
//!
//! The one path for what a door says itself: [`Connection::say`] puts it
//! straight into the queue the hub's events go to, stamped with how many
//! commands this door had sent; the queue holds it until the hub has
//! carried those out (see `crate::engine::Outbound::say`). So a reply to a
//! line never overtakes the hub's answers to the lines before it — a client
//! that sends `JOIN` then `PING` reads the join before the PONG — and the
//! hub never carries a door's words or hears of its prompts.

use std::net::IpAddr;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::carry::carry_out_then;
use super::{Answer, Input, Output, Reply, Request, Session};
use crate::door::lines::Flow;
use crate::engine::{Outbound, Said};
use crate::hub::{Command, SessionId};
use crate::runtime::accounts::Accounts;
use crate::runtime::HubHandle;

/// How a door puts the session's replies in its own words.
pub trait Wording {
    /// Appends what the client should read for `reply`; `session` is the
    /// session as it is after the step that said it. `Flow::Stop` ends the
    /// connection once that is said (IRC closes on "no guests").
    fn word(&self, session: &Session, reply: Reply, out: &mut Vec<Said>) -> Flow;
}

/// One TCP connection's session and what it needs of the server.
pub struct Connection {
    pub session: Session,
    id: SessionId,
    ip: IpAddr,
    accounts: Arc<Accounts>,
    hub: HubHandle,
    outbound: Arc<Outbound>,
    /// The hub's answers to `Login` and `ChangeNick`.
    hub_answers: Receiver<bool>,
    /// Commands sent to the hub so far (each door reply waits for them).
    sent: u64,
}

impl Connection {
    pub fn new(
        session: Session,
        attached: &crate::door::Attached,
        ip: IpAddr,
        accounts: Arc<Accounts>,
        hub: HubHandle,
    ) -> Connection {
        Connection {
            session,
            id: attached.session,
            ip,
            accounts,
            hub,
            outbound: Arc::clone(&attached.own),
            hub_answers: attached.replies.clone(),
            sent: 0,
        }
    }

    /// Runs `input` through the session and carries out all that follows,
    /// until the session waits for the client again.
    pub fn step(&mut self, input: Input, words: &impl Wording) -> Flow {
        let mut outputs = Vec::new();
        let mut next = Some(input);
        while let Some(input) = next.take() {
            self.session.step(input, &mut outputs);
            for output in std::mem::take(&mut outputs) {
                match output {
                    Output::Say(reply) => {
                        let mut said = Vec::new();
                        let flow = words.word(&self.session, reply, &mut said);
                        for said in said {
                            self.say(said);
                        }
                        if let Flow::Stop(reason) = flow {
                            return Flow::Stop(reason);
                        }
                    }
                    Output::Hub(command) => {
                        if let Flow::Stop(reason) = self.to_hub(command) {
                            return Flow::Stop(reason);
                        }
                    }
                    Output::Ask(request) => match self.carry_out(request) {
                        Ok(answer) => next = Some(Input::Answer(answer)),
                        Err(reason) => return Flow::Stop(reason),
                    },
                }
            }
        }
        Flow::Continue
    }

    /// Does what the session asked for, blocking this reader thread until
    /// it is done; `Err` when the hub has gone.
    fn carry_out(&self, request: Request) -> Result<Answer, String> {
        match request {
            Request::HubAnswer => match self.hub_answers.recv() {
                Ok(taken) => Ok(Answer::Hub(taken)),
                Err(_) => Err("closed by the server".into()),
            },
            request => Ok(crate::auth::wait(|done| {
                carry_out_then(&self.accounts, self.ip, request, done)
            })),
        }
    }

    /// Commands sent to the hub so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Sends the hub a command, counted so that later replies wait for it.
    pub fn to_hub(&mut self, command: Command) -> Flow {
        self.sent += 1;
        match self.hub.send_in_order(self.id, self.sent, command) {
            true => Flow::Continue,
            false => Flow::Stop("server shutting down".into()),
        }
    }

    /// Queues what the door says itself, after the hub's answers to every
    /// command sent before it.
    pub fn say(&self, said: Said) {
        self.outbound.say(self.sent, said);
    }

    /// [`Connection::say`] for the door's answer to a client's line that
    /// the hub never sees: the line still counts as a sign of life, so the
    /// hub's idle clock starts again (it does not count as the user saying
    /// anything: `/whois` idle time stays).
    pub fn answer(&mut self, said: Said) -> Flow {
        self.say(said);
        self.to_hub(Command::Ping)
    }
}
