//! A connection's outbound queue: bounded, fed by the hub, the store worker
//! and the door's own reader, emptied by the connection's writer, which takes
//! everything waiting at once. A mutex and a condition variable rather than a
//! channel: the writer parks as soon as there is nothing to write, where a
//! channel's receiver first spins and yields (a third of the server's CPU in
//! the fan-out benchmark went to `sched_yield`).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::hub::{Event, Outbox, QueueFull};

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
    capacity: usize,
}

struct State {
    events: VecDeque<Arc<Event>>,
    /// Live [`QueueSender`]s; at none, the queue is closed.
    senders: usize,
}

/// Puts events on the queue; the queue closes when the last one is dropped.
pub struct QueueSender(Arc<Shared>);

/// The writer's end.
pub struct QueueReceiver(Arc<Shared>);

/// A queue holding at most `capacity` events.
pub fn queue(capacity: usize) -> (QueueSender, QueueReceiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            events: VecDeque::with_capacity(capacity.min(64)),
            senders: 1,
        }),
        ready: Condvar::new(),
        capacity,
    });
    (QueueSender(Arc::clone(&shared)), QueueReceiver(shared))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Queue operations can't panic half-way: the state is always whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Outbox for QueueSender {
    /// Queues an event; `QueueFull` when the writer has fallen `capacity`
    /// events behind (a slow reader).
    fn push(&self, event: Arc<Event>) -> Result<(), QueueFull> {
        let mut state = self.0.lock();
        if state.events.len() >= self.0.capacity {
            return Err(QueueFull);
        }
        state.events.push_back(event);
        if state.events.len() == 1 {
            self.0.ready.notify_one();
        }
        Ok(())
    }
}

impl Clone for QueueSender {
    fn clone(&self) -> QueueSender {
        self.0.lock().senders += 1;
        QueueSender(Arc::clone(&self.0))
    }
}

impl Drop for QueueSender {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.senders -= 1;
        if state.senders == 0 {
            self.0.ready.notify_one();
        }
    }
}

impl QueueReceiver {
    /// Waits for events and moves all of them into `into`; false once the
    /// queue is closed and empty.
    pub fn take_all(&self, into: &mut VecDeque<Arc<Event>>) -> bool {
        let mut state = self.0.lock();
        while state.events.is_empty() {
            if state.senders == 0 {
                return false;
            }
            state = self.0.ready.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        into.append(&mut state.events);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn event(n: usize) -> Arc<Event> {
        Arc::new(Event::Notice(n.to_string()))
    }

    #[test]
    fn the_writer_takes_everything_waiting_in_order() {
        let (tx, rx) = queue(8);
        for n in 0..3 {
            tx.push(event(n)).unwrap();
        }
        let mut got = VecDeque::new();
        assert!(rx.take_all(&mut got));
        assert_eq!(got, [event(0), event(1), event(2)]);
    }

    #[test]
    fn a_full_queue_refuses_more() {
        let (tx, _rx) = queue(2);
        tx.push(event(0)).unwrap();
        tx.push(event(1)).unwrap();
        assert!(tx.push(event(2)).is_err());
    }

    #[test]
    fn the_queue_closes_with_its_last_sender_after_what_is_left() {
        let (tx, rx) = queue(4);
        let other = tx.clone();
        tx.push(event(0)).unwrap();
        drop(tx);
        drop(other);
        let mut got = VecDeque::new();
        assert!(rx.take_all(&mut got), "what was queued still comes");
        assert!(!rx.take_all(&mut got), "then the queue is closed");
    }

    #[test]
    fn a_waiting_writer_wakes_for_an_event_from_another_thread() {
        let (tx, rx) = queue(4);
        let pusher = thread::spawn(move || tx.push(event(7)).unwrap());
        let mut got = VecDeque::new();
        assert!(rx.take_all(&mut got));
        assert_eq!(got, [event(7)]);
        pusher.join().unwrap();
    }
}
