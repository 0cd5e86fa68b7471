'use strict';
// Test fixture credential: one secret field, like an API key.
class E2eFixtureApi {
  constructor() {
    this.name = 'e2eFixtureApi';
    this.displayName = 'E2E Fixture API';
    this.properties = [
      { displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
    ];
  }
}
exports.E2eFixtureApi = E2eFixtureApi;
