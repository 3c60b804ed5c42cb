import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRule, socketFromAddress } from './dbus.ts';

describe('socketFromAddress', () => {
  const table: Array<[string, string | null]> = [
    ['unix:path=/var/run/dbus/system_bus_socket', '/var/run/dbus/system_bus_socket'],
    ['unix:path=/tmp/x/bus,guid=5e3329a212bcf542300a79fc6b026054', '/tmp/x/bus'],
    ['unix:abstract=/tmp/dbus-XYZ,guid=abc', '\0/tmp/dbus-XYZ'],
    ['tcp:host=localhost,port=1234;unix:path=/run/dbus/system_bus_socket', '/run/dbus/system_bus_socket'],
    ['unix:path=/run/with%20space/sock', '/run/with space/sock'],
    ['unix:path=/run/a%3Ab/sock', null], // a ':' dbus-next would cut
    ['unix:runtime=yes', null],
    ['tcp:host=127.0.0.1,port=1', null],
    ['unixexec:path=/usr/bin/ssh', null],
    ['', null],
    ['garbage', null],
    ['unix:path=%zz', null],
  ];
  for (const [address, want] of table) {
    test(JSON.stringify(address), () => assert.equal(socketFromAddress(address), want));
  }
});

test('matchRule', () => {
  assert.equal(
    matchRule({ sender: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameOwnerChanged', arg0: 'org.freedesktop.login1' }),
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.freedesktop.login1'",
  );
});
