export { type BrowserRun, type BrowserTestResult, bundleTests, runTestsInBrowser } from './browser-runner.js';
export { CHROMIUM_ARGS, findChromium, launchChromium, requireChromium } from './chromium.js';
export { HiddenWindow } from './hidden-window.js';
