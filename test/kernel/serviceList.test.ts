import t from 'tap';
import pino from 'pino';
import { ServiceList, type Service } from '../../src/kernel/serviceList.js';

const silent = pino({ level: 'silent' });

function recorder(log: string[], name: string, fail: { start?: boolean; stop?: boolean } = {}): Service {
  return {
    name,
    start: async () => {
      log.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} cannot stop`);
    },
  };
}

t.test('services start in order and stop in reverse', async (t) => {
  const log: string[] = [];
  const list = new ServiceList([recorder(log, 'journal'), recorder(log, 'doors'), recorder(log, 'cloud')], silent);
  await list.start();
  await list.stop();
  t.same(log, ['start journal', 'start doors', 'start cloud', 'stop cloud', 'stop doors', 'stop journal']);
});

t.test('a start that fails stops what had started, in reverse, and rethrows', async (t) => {
  const log: string[] = [];
  const list = new ServiceList([recorder(log, 'journal'), recorder(log, 'doors'), recorder(log, 'cloud', { start: true }), recorder(log, 'never')], silent);
  await t.rejects(list.start(), /cloud cannot start/);
  t.same(log, ['start journal', 'start doors', 'start cloud', 'stop doors', 'stop journal']);
  await list.stop();
  t.equal(log.length, 5, 'nothing is stopped twice');
});

t.test('a stop that fails does not keep the others from stopping; the first failure is rethrown', async (t) => {
  const log: string[] = [];
  const list = new ServiceList([recorder(log, 'journal', { stop: true }), recorder(log, 'doors', { stop: true }), recorder(log, 'cloud')], silent);
  await list.start();
  await t.rejects(list.stop(), /doors cannot stop/);
  t.same(log.slice(3), ['stop cloud', 'stop doors', 'stop journal']);
});
