console.log(tjs.version)
