// CI runs with CROSSWATCH_REQUIRE_FIXTURES=1: there the peer test vectors must be
// beside the repository, so the tests that use them cannot silently skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES_REQUIRED, fixturesAvailable, fixturesDir } from './fixtures-helpers.js';

test('the peer fixtures are present where they are required', { skip: FIXTURES_REQUIRED ? false : 'CROSSWATCH_REQUIRE_FIXTURES is not set (a user\'s clone)' }, () => {
  assert.ok(fixturesAvailable(), `CROSSWATCH_REQUIRE_FIXTURES=1 but ${fixturesDir()} does not exist`);
});
