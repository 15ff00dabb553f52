@data
