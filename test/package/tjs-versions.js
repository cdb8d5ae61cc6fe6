// Prints the versions the tjs running it was built with (QuickJS-ng, libuv, ...) as JSON.
console.log(JSON.stringify(tjs.engine.versions));
