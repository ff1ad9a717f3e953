// What the top bar says about the service behind the socket: the `service` object of
// connection_established and of `status` frames ({ state: "ready" | "unavailable" |
// "draining", provider: "mock" | "claude" | "", model }). A gateway that sends none (an
// older one) leaves it "unknown", and then the page speaks only of the socket. Pure.

const STATES = ['ready', 'unavailable', 'draining'];
// A provider or model name longer than this is cut (it is shown in a narrow top bar).
const MAX_NAME_CHARS = 60;

export const UNKNOWN_SERVICE = Object.freeze({ state: 'unknown', provider: '', model: '' });

// The service object of a frame, or UNKNOWN_SERVICE when it has none.
export function readService(frame) {
  const service = frame?.service;
  if (!service || typeof service !== 'object' || !STATES.includes(service.state)) {
    return UNKNOWN_SERVICE;
  }
  return { state: service.state, provider: name(service.provider), model: name(service.model) };
}

// Who answers: "Mock replies", "Claude · claude-sonnet-4-5", or "" while not known.
export function providerText({ provider, model }) {
  if (provider === 'mock') return 'Mock replies';
  if (provider === 'claude') return model ? `Claude · ${model}` : 'Claude';
  if (!provider) return '';
  return model ? `${provider} · ${model}` : provider;
}

// The top bar while the socket is open: { service (data-service), text, detail }.
export function connectedHeader(service) {
  switch (service.state) {
    case 'ready':
      return { service: 'ready', text: 'Connected', detail: providerText(service) };
    case 'unavailable':
      // Short enough for a phone's top bar; the socket itself is fine.
      return { service: 'unavailable', text: 'Model service unreachable', detail: '' };
    case 'draining':
      return { service: 'draining', text: 'The gateway is restarting…', detail: '' };
    default:
      return { service: 'unknown', text: 'Connected to the gateway', detail: '' };
  }
}

function name(value) {
  return typeof value === 'string' ? value.slice(0, MAX_NAME_CHARS) : '';
}
